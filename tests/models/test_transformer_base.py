"""The checks every Transformer-family model shares."""

import keras
import pytest

from keras_attn import models

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")


@pytest.mark.parametrize(
    "builder,arguments,message",
    [
        (models.transformer, dict(source_vocab_size=10, target_vocab_size=10, d_model=30, num_heads=4),
         r"transformer: `d_model` must be divisible by num_heads=4, got 30"),
        (models.transformer, dict(source_vocab_size=10, target_vocab_size=12, share_embeddings=True),
         r"transformer: `share_embeddings` must be False when source_vocab_size \(10\)"),
        (models.transformer_encoder, dict(vocab_size=0),
         r"transformer_encoder: `vocab_size` must be a positive int, got 0"),
        (models.transformer_decoder_lm, dict(vocab_size=10, dropout=1.0),
         r"transformer_decoder_lm: `dropout` must be a float in \[0, 1\), got 1.0"),
    ],
)
def test_bad_arguments_name_the_builder_argument_and_value(builder, arguments, message):
    with pytest.raises(ValueError, match=message):
        builder(**{"num_layers": 1, "d_model": 8, "num_heads": 2, "d_ff": 8, **arguments})
