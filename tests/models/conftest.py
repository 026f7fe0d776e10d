"""The Transformer family's models, shared by its test modules."""

import keras
import pytest

from keras_attn import models
from tests.models.transformer_cases import ENC_DEC_CONFIGS
from tests.models.transformer_cases import SMALL
from tests.models.transformer_cases import VOCAB


@pytest.fixture(scope="module", params=list(ENC_DEC_CONFIGS))
def enc_dec(request):
    keras.utils.set_random_seed(0)
    return models.transformer(VOCAB, VOCAB, **SMALL, **ENC_DEC_CONFIGS[request.param])


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(1)
    return models.transformer_encoder(VOCAB, **SMALL)


@pytest.fixture(scope="module", params=[dict(), dict(norm_first=True, tie_output_embedding=True)],
                ids=["post_norm", "pre_norm_tied"])
def lm(request):
    keras.utils.set_random_seed(2)
    return models.transformer_decoder_lm(VOCAB, **SMALL, **request.param)
