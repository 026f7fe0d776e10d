"""The interface of a built-in data set: draw one example from a random generator."""


class Task:
    """A generated data set: a distribution over `Example`s set by its options.

    Subclasses validate their options in `__init__` and implement `sample`. They
    know nothing about splits, sizes or seeds; `keras_attn.data.generate` draws from
    them with a seeded `random.Random` and assigns every example to a split by the
    hash of its source.

    Attributes:
        name: the name `load` knows the task by.
        has_alignments: whether examples carry gold word alignments.
    """

    name = None
    has_alignments = False

    def sample(self, rng):
        """Draws one `Example` using only `rng` (a `random.Random`) for randomness."""
        raise NotImplementedError(f"{type(self).__name__} must implement sample(rng).")

    def get_config(self):
        """The options the task was built with."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")


def check_int(task, option, value, minimum, maximum=None):
    """Raises `ValueError` unless `value` is an int in `[minimum, maximum]`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
        maximum is not None and value > maximum
    ):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{task}: option `{option}` must be an int {bound}, got {value!r}.")


def check_range(task, low_option, low, high_option, high):
    """Raises `ValueError` when a lower bound exceeds its upper bound."""
    if low > high:
        raise ValueError(
            f"{task}: `{low_option}` ({low}) must not exceed `{high_option}` ({high})."
        )


def check_rate(task, option, value):
    """Raises `ValueError` unless `value` is a probability."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{task}: option `{option}` must be a number in [0, 1], got {value!r}.")
