"""The encoder-only Transformer: masking, saving, attention plots."""

import keras
import numpy as np
import pytest

from keras_attn import viz
from tests.models.transformer_cases import SOURCE, SOURCE_TOKENS, as_numpy, check_figure, round_trip

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")


def test_encoder_ignores_appended_padding_but_sees_the_whole_sequence(encoder):
    states = as_numpy(encoder(SOURCE))
    np.testing.assert_allclose(as_numpy(encoder(np.pad(SOURCE, ((0, 0), (0, 3)))))[:, :5], states, atol=1e-5)
    changed = SOURCE.copy()
    changed[0, 3] = 15  # bidirectional: an earlier position sees a later token
    assert not np.allclose(as_numpy(encoder(changed))[0, 0], states[0, 0], atol=1e-4)


def test_encoder_survives_a_keras_file_round_trip(encoder, tmp_path):
    round_trip(encoder, SOURCE, tmp_path)


def test_encoder_output_shape(encoder):
    assert tuple(encoder(SOURCE).shape) == (3, 5, 16)


def test_encoder_attention_weights_render(encoder):
    encoder_weights = encoder.attention_weights(SOURCE)["encoder_self"]
    assert len(encoder_weights) == 2
    check_figure(viz.multi_head_heatmaps(as_numpy(encoder_weights[1])[0], SOURCE_TOKENS))

