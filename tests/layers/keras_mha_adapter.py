"""A pytest plugin that runs keras' own `MultiHeadAttention` tests against keras_attn's layer.

Loaded with `-p tests.layers.keras_mha_adapter` in a separate pytest process (see
`test_keras_own_multi_head_attention_tests` in test_multi_head.py): it replaces
`keras.layers.MultiHeadAttention` by an adapter that only renames keras'
`output_shape` argument to keras_attn's `output_dim` (and registers the adapter,
so keras' serialization round trips find it).
"""

import keras
import keras.src.layers as keras_layers

import keras_attn


@keras.saving.register_keras_serializable(package="keras_mha_adapter")
class MultiHeadAttention(keras_attn.MultiHeadAttention):
    """`keras_attn.MultiHeadAttention` with keras' name for the output size."""

    def __init__(self, *args, output_shape=None, **kwargs):
        kwargs.setdefault("output_dim", output_shape)
        super().__init__(*args, **kwargs)


keras_layers.MultiHeadAttention = MultiHeadAttention
