"""Argument and shape checks that name the layer, the argument and what was seen."""


def who(layer):
    """How errors name a layer: `"PositionalEncoding layer 'pe'"`."""
    return f"{type(layer).__name__} layer '{layer.name}'"


def check_rank(layer, argument, shape, ranks):
    """Raises `ValueError` unless `shape` (a tuple or `None`) has one of `ranks`."""
    if shape is None or len(shape) in ranks:
        return
    expected = " or ".join(str(rank) for rank in ranks)
    raise ValueError(
        f"{who(layer)}: `{argument}` must have rank {expected}, "
        f"got shape {tuple(shape)}."
    )


def check_same_size(layer, what, first, first_shape, second, second_shape, axis=-1):
    """Raises `ValueError` when two inputs disagree on a known size along `axis`."""
    a, b = first_shape[axis], second_shape[axis]
    if a is not None and b is not None and a != b:
        raise ValueError(
            f"{who(layer)}: {what} of `{first}` and `{second}` must match, got "
            f"`{first}` shape {tuple(first_shape)} and `{second}` shape "
            f"{tuple(second_shape)}."
        )


def check_known_size(layer, argument, shape, axis=-1):
    """Raises `ValueError` when the size a weight depends on is not known."""
    if shape[axis] is None:
        raise ValueError(
            f"{who(layer)}: the last axis of `{argument}` must be known to build "
            f"the layer's weights, got shape {tuple(shape)}."
        )


def check_argument(layer_or_class, argument, value, condition, expected):
    """Raises `ValueError` for a bad constructor argument."""
    if condition:
        return
    name = layer_or_class if isinstance(layer_or_class, str) else type(layer_or_class).__name__
    raise ValueError(f"{name}: `{argument}` must be {expected}, got {value!r}.")


def is_positive_int(value):
    """True for a Python int > 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_positive_int(layer_or_class, argument, value, allow_none=False):
    """Raises `ValueError` unless `value` is a positive int (or `None` with `allow_none`)."""
    if allow_none:
        check_argument(layer_or_class, argument, value, value is None or is_positive_int(value),
                       "None or a positive int")
    else:
        check_argument(layer_or_class, argument, value, is_positive_int(value), "a positive int")


def check_rate(layer_or_class, argument, value):
    """Raises `ValueError` unless `value` is a number in [0, 1) (a dropout rate)."""
    valid = isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value < 1.0
    check_argument(layer_or_class, argument, value, valid, "a float in [0, 1)")
