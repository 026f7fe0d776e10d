"""Train/validation/test assignment by a hash of the source sentence.

A sentence's split depends only on its text, never on a seed, a size or a task's
options, so the same source can never appear in two splits, whatever two `load`
calls are compared (e.g. short training sentences and long test sentences).
"""

import hashlib

SPLITS = ("train", "validation", "test")
# Fractions of the hash space; cumulative bounds in the order of SPLITS.
FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
_BOUNDS = (0.8, 0.9, 1.0)


def check_split(split):
    """Raises `ValueError` unless `split` is one of `SPLITS`."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: expected one of {SPLITS}.")


def split_of(source):
    """The split a source sentence belongs to.

    Args:
        source: the (normalised) source sentence.

    Returns:
        "train", "validation" or "test".

    Example:

    >>> split_of("나는 밥을 먹었다") in SPLITS
    True
    """
    digest = hashlib.blake2b(source.encode("utf-8"), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / 2**64
    for split, bound in zip(SPLITS, _BOUNDS):
        if point < bound:
            return split
    return SPLITS[-1]
