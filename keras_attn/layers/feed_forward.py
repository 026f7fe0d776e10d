"""The Transformer's position-wise feed-forward network (Vaswani et al., 2017, §3.3)."""

import keras

from keras_attn.layers import checks


@keras.saving.register_keras_serializable(package="keras_attn")
class FeedForward(keras.layers.Layer):
    """Position-wise feed-forward network (Vaswani et al. 2017, eq. 2).

        FFN(x) = max(0, x W_1 + b_1) W_2 + b_2

    The same two-layer network is applied to every position separately: the
    sublayer where each position transforms what attention gathered for it.

    Args:
        d_ff: inner size (2048 in the base model).
        activation: inner activation (`"relu"` in the paper; `"gelu"` for GPT/BERT).
        dropout: dropout rate on the inner activations during training.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[B, T, d_model]`.
        training: whether dropout is active.

    Returns:
        `[B, T, d_model]`.

    Example:

    >>> import numpy as np
    >>> ffn = FeedForward(d_ff=16)
    >>> tuple(ffn(np.zeros((2, 3, 8), "float32")).shape)
    (2, 3, 8)
    """

    def __init__(self, d_ff, activation="relu", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        checks.check_positive_int(self, "d_ff", d_ff)
        checks.check_rate(self, "dropout", dropout)
        self.d_ff = d_ff
        self.activation = activation
        self.dropout = dropout
        self.supports_masking = True  # position-wise: the sequence mask passes through
        self.inner = keras.layers.Dense(d_ff, activation=activation, dtype=self.dtype_policy, name="inner")
        self.inner_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy, name="inner_dropout")
        self.outer = None

    def build(self, inputs_shape):
        checks.check_rank(self, "inputs", inputs_shape, (3,))
        checks.check_known_size(self, "inputs", inputs_shape)
        self.outer = keras.layers.Dense(inputs_shape[-1], dtype=self.dtype_policy, name="outer")
        self.inner.build(inputs_shape)
        self.outer.build(tuple(inputs_shape[:-1]) + (self.d_ff,))
        self.built = True

    def call(self, inputs, training=None):
        return self.outer(self.inner_dropout(self.inner(inputs), training=training))

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"d_ff": self.d_ff, "activation": self.activation, "dropout": self.dropout})
        return config
