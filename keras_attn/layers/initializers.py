"""One initializer per weight, with the fans Keras' own attention layers use."""

import keras


def clone_initializer(initializer, input_axes=None, output_axes=None):
    """A fresh copy of `initializer` for one weight.

    An unseeded Keras 3 initializer object draws the same values every time it is
    called with the same shape, so one object shared by several weights would make
    them identical (Q, K and V equal at init): each weight gets its own copy, as
    keras' `MultiHeadAttention` does. For a variance-scaling initializer (Glorot,
    He, LeCun) of a kernel with more than two axes, `input_axes` and `output_axes`
    say which axes are the fan-in and the fan-out units (for `[D, H, d_head]`: `[0]`
    and `[1, 2]`), as keras' `EinsumDense` does, so the spread matches keras'.

    Args:
        initializer: a `keras.initializers.Initializer`.
        input_axes, output_axes: the kernel's fan axes (variance scaling only; an
            initializer that names its own axes keeps them).

    Returns:
        A new initializer of the same kind and configuration.
    """
    config = initializer.get_config()
    if isinstance(initializer, keras.initializers.VarianceScaling) and input_axes is not None:
        if config.get("input_axes") is None and config.get("output_axes") is None:
            config.update(input_axes=list(input_axes), output_axes=list(output_axes))
    return initializer.__class__.from_config(config)
