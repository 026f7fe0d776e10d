"""The Transformer's blocks through the shared layer check-list."""

import keras
import numpy as np
import pytest

from keras_attn.models import FeedForward
from keras_attn.models import TokenEmbedding
from keras_attn.models import TransformerDecoderBlock
from keras_attn.models import TransformerEncoderBlock
from tests.layers.layer_test_helper import LayerCase
from tests.layers.layer_test_helper import standard_checks

CASES = [
    LayerCase("encoder_block_post_norm", lambda **kw: TransformerEncoderBlock(2, 16, dropout=0.1, **kw), "self"),
    LayerCase("encoder_block_pre_norm_gelu",
              lambda **kw: TransformerEncoderBlock(2, 16, norm_first=True, activation="gelu", **kw), "self"),
    LayerCase("decoder_block_cross", lambda **kw: TransformerDecoderBlock(2, 16, attention_dropout=0.1, **kw),
              "cross", source_dim=6),
    LayerCase("decoder_block_lm",
              lambda **kw: TransformerDecoderBlock(2, 16, cross_attention=False, norm_first=True, **kw), "self"),
    LayerCase("feed_forward", lambda **kw: FeedForward(12, dropout=0.1, **kw), "self"),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def test_token_embedding_is_scaled_and_reversible():
    embedding = TokenEmbedding(7, 4)
    ids = np.array([[1, 2, 0]], "int32")
    states = keras.ops.convert_to_numpy(embedding(ids))
    table = keras.ops.convert_to_numpy(embedding.embeddings)
    np.testing.assert_allclose(states[0], table[[1, 2, 0]] * 2.0, rtol=1e-6)  # √4
    logits = keras.ops.convert_to_numpy(embedding(states, reverse=True))
    np.testing.assert_allclose(logits, states @ table.T, rtol=1e-5)
    assert keras.backend.standardize_dtype(embedding(states, reverse=True).dtype) == "float32"


def test_decoder_block_step_matches_the_full_causal_call():
    keras.utils.set_random_seed(1)
    block = TransformerDecoderBlock(2, 16, dropout=0.0)
    rng = np.random.default_rng(0)
    target = rng.normal(size=(2, 4, 8)).astype("float32")
    memory = rng.normal(size=(2, 5, 8)).astype("float32")
    memory_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
    full = keras.ops.convert_to_numpy(block(target, memory, memory_mask=memory_mask))
    cache = block.empty_cache(2, 6, memory)
    for t in range(4):
        out, cache, cross = block.step(target[:, t : t + 1], cache, np.array([t, t], "int32"), memory_mask)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out)[:, 0], full[:, t], atol=1e-5)
        assert np.all(keras.ops.convert_to_numpy(cross)[1, :, 0, 2:] == 0)  # padded memory gets no weight


def test_bad_block_arguments_name_the_layer():
    with pytest.raises(ValueError, match="TransformerEncoderBlock: `dropout` must be a float in"):
        TransformerEncoderBlock(2, 16, dropout=1.5)
    with pytest.raises(ValueError, match="must be divisible by num_heads=3"):
        TransformerEncoderBlock(3, 16)(np.zeros((1, 2, 8), "float32"))
