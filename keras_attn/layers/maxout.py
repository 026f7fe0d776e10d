"""A maxout layer (Goodfellow et al. 2013), the deep output of RNNsearch (Bahdanau et al. 2015)."""

import keras
from keras import ops

from keras_attn.layers import checks


@keras.saving.register_keras_serializable(package="keras_attn")
class Maxout(keras.layers.Layer):
    """Maxout units: an affine map to `units * pool_size` values, then the max of each pool.

        t̃ = x W + b ∈ R^{units · pool_size},   t_j = max_{k < pool_size} t̃_{j · pool_size + k}

    Bahdanau et al. 2015 (A.2.2) compute the decoder's output this way before the
    softmax: t̃_i = U_o s_i + V_o E y_{i-1} + C_o c_i (one affine map of the
    concatenation [s_i; E y_{i-1}; c_i]), with 500 maxout units of pool 2.

    Args:
        units: the number of maxout units (the output size).
        pool_size: how many affine values each unit takes the max of.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[..., D]`.

    Returns:
        `[..., units]`.

    Example:

    >>> import numpy as np
    >>> maxout = Maxout(units=4, pool_size=2)
    >>> tuple(maxout(np.zeros((2, 3, 6), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(self, units, pool_size=2, **kwargs):
        super().__init__(**kwargs)
        checks.check_positive_int(self, "units", units)
        checks.check_positive_int(self, "pool_size", pool_size)
        self.units = units
        self.pool_size = pool_size
        self.supports_masking = True  # position-wise: the sequence mask passes through
        self.affine = keras.layers.Dense(units * pool_size, dtype=self.dtype_policy, name="affine")

    def build(self, inputs_shape):
        checks.check_known_size(self, "inputs", inputs_shape)
        self.affine.build(inputs_shape)
        self.built = True

    def call(self, inputs):
        pre_activation = self.affine(inputs)
        # Unit j pools the consecutive values j·pool_size + k, k < pool_size: the k-th strided
        # slice holds member k of every pool (slicing keeps any rank and unknown sizes).
        outputs = pre_activation[..., 0::self.pool_size]
        for k in range(1, self.pool_size):
            outputs = ops.maximum(outputs, pre_activation[..., k::self.pool_size])
        return outputs

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "pool_size": self.pool_size})
        return config
