"""One generated sentence pair, as the built-in data sets produce it."""

from typing import NamedTuple


class Example(NamedTuple):
    """A (source, target) pair of normalised sentences.

    Attributes:
        source: the source sentence, tokens separated by single spaces.
        target: the target sentence, same convention.
        alignment: for data sets with gold word alignments (ko-en), a sorted tuple of
            `(target_index, source_index)` pairs over the whitespace tokens of
            `target` and `source`; `None` otherwise.
    """

    source: str
    target: str
    alignment: tuple | None = None
