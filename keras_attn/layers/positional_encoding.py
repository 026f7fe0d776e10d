"""Sinusoidal positional encoding (Vaswani et al., 2017, §3.5)."""

import keras
from keras import ops

from keras_attn.layers import checks

COUNT_FROM = ("start", "both_ends")


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

    Positions counted from the start say how far a token is from the first one,
    not from the last: in sequences of mixed length, "the k-th token from the end"
    is a product of two signals (position and length) that attention has to learn
    to form. With `count_from="both_ends"` the first ⌈d/2⌉ features carry
    PE(pos) and the other ⌊d/2⌋ carry PE(n - 1 - pos), each an encoding of its own
    depth, where n is the number of unmasked steps: every position then knows its
    distance from both ends, as a bidirectional RNN encoder's two halves tell it.

    Args:
        max_wavelength: the base of the geometric progression (10000 in the paper).
        count_from: `"start"` (the paper) or `"both_ends"`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[..., T, d]`, any `T`, even or odd `d`.
        start_index: position of the first step (an int or a scalar tensor); used by
            cached decoding, which feeds one position at a time (`"start"` only).
        mask: optional boolean `[..., T]`, True at real steps, which must come first
            (right padding); with `"both_ends"` it gives each row its length n
            (default: every step is real). Also taken from the inputs' Keras mask.

    Returns:
        `inputs + PE`, with the input's Keras mask.

    Example:

    >>> import numpy as np
    >>> x = np.zeros((1, 4, 6), "float32")
    >>> pe = PositionalEncoding()(x)
    >>> float(pe[0, 0, 1])  # cos(0)
    1.0
    """

    def __init__(self, max_wavelength=10000, count_from="start", **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(
            self,
            "max_wavelength",
            max_wavelength,
            isinstance(max_wavelength, (int, float)) and max_wavelength > 1,
            "a number greater than 1",
        )
        checks.check_argument(self, "count_from", count_from, count_from in COUNT_FROM, f"one of {COUNT_FROM}")
        self.max_wavelength = max_wavelength
        self.count_from = count_from
        self.supports_masking = True

    def build(self, inputs_shape):
        checks.check_rank(self, "inputs", inputs_shape, range(2, 9))
        checks.check_known_size(self, "inputs", inputs_shape)
        self.built = True

    def call(self, inputs, start_index=0, mask=None):
        length, depth = ops.shape(inputs)[-2], inputs.shape[-1]
        if self.count_from == "start":
            return inputs + ops.cast(self.encoding(length, depth, start_index), inputs.dtype)
        if not (isinstance(start_index, int) and start_index == 0):
            raise ValueError(f"{checks.who(self)}: count_from='both_ends' encodes whole sequences; got start_index="
                             f"{start_index!r}, expected 0 (step-by-step decoding counts from the start).")
        steps = ops.ones_like(inputs[..., 0], dtype="float32") if mask is None else ops.cast(mask, "float32")
        positions = ops.zeros_like(steps) + ops.cast(ops.arange(length), "float32")
        # n - 1 - pos per row: 0 at the last real step, negative on the padding after it.
        from_end = ops.sum(steps, axis=-1, keepdims=True) - 1.0 - positions
        table = ops.concatenate(
            [self.encoding_at(positions, depth - depth // 2), self.encoding_at(from_end, depth // 2)], axis=-1
        )
        return inputs + ops.cast(table, inputs.dtype)

    def encoding(self, length, depth, start_index=0):
        """The float32 table `PE[start_index : start_index + length]`, `[length, depth]`."""
        return self.encoding_at(ops.cast(ops.arange(length), "float32") + ops.cast(start_index, "float32"), depth)

    def encoding_at(self, positions, depth):
        """PE of float `positions [...]` (any shape, any real values) → float32 `[..., depth]`."""
        positions = ops.cast(positions, "float32")
        features = ops.arange(depth)
        even_index = ops.cast(features - features % 2, "float32")  # the "2i" of the formula
        inverse_wavelengths = ops.power(
            ops.cast(self.max_wavelength, "float32"), -even_index / float(depth)
        )
        angles = ops.expand_dims(positions, -1) * inverse_wavelengths
        return ops.where(features % 2 == 0, ops.sin(angles), ops.cos(angles))

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength, "count_from": self.count_from})
        return config
