"""Sinusoidal positional encoding (Vaswani et al., 2017, §3.5)."""

import keras
from keras import ops

from keras_attn.layers import checks


@keras.saving.register_keras_serializable(package="keras_attn")
class PositionalEncoding(keras.layers.Layer):
    """Adds the fixed sinusoidal position signal to a sequence of embeddings.

        PE(pos, 2i)   = sin(pos / max_wavelength^(2i / d))
        PE(pos, 2i+1) = cos(pos / max_wavelength^(2i / d))

    interleaved as in the paper (even features sine, odd features cosine). The
    wavelengths form a geometric progression from 2π to `max_wavelength · 2π`, so
    PE(pos + k) is a linear function of PE(pos) and attention can pick up relative
    offsets. Attention itself is permutation-invariant: this is the only place the
    Transformer learns word order.

    Args:
        max_wavelength: the base of the geometric progression (10000 in the paper).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[..., T, d]`, any `T`, even or odd `d`.
        start_index: position of the first step (an int or a scalar tensor); used by
            cached decoding, which feeds one position at a time.

    Returns:
        `inputs + PE[start_index : start_index + T]`, with the input's Keras mask.

    Example:

    >>> import numpy as np
    >>> x = np.zeros((1, 4, 6), "float32")
    >>> pe = PositionalEncoding()(x)
    >>> float(pe[0, 0, 1])  # cos(0)
    1.0
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(
            self,
            "max_wavelength",
            max_wavelength,
            isinstance(max_wavelength, (int, float)) and max_wavelength > 1,
            "a number greater than 1",
        )
        self.max_wavelength = max_wavelength
        self.supports_masking = True

    def build(self, inputs_shape):
        checks.check_rank(self, "inputs", inputs_shape, range(2, 9))
        checks.check_known_size(self, "inputs", inputs_shape)
        self.built = True

    def call(self, inputs, start_index=0):
        length, depth = ops.shape(inputs)[-2], inputs.shape[-1]
        table = self.encoding(length, depth, start_index)
        return inputs + ops.cast(table, inputs.dtype)

    def encoding(self, length, depth, start_index=0):
        """The float32 table `PE[start_index : start_index + length]`, `[length, depth]`."""
        positions = ops.cast(ops.arange(length), "float32") + ops.cast(start_index, "float32")
        features = ops.arange(depth)
        even_index = ops.cast(features - features % 2, "float32")  # the "2i" of the formula
        inverse_wavelengths = ops.power(
            ops.cast(self.max_wavelength, "float32"), -even_index / float(depth)
        )
        angles = ops.expand_dims(positions, 1) * ops.expand_dims(inverse_wavelengths, 0)
        return ops.where(features % 2 == 0, ops.sin(angles), ops.cos(angles))

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength})
        return config
