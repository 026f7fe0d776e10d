"""A run's corpus: a built-in data set or a TSV file, as `(source, target)` string pairs."""

import os
import warnings

from keras_attn import data
from keras_attn.runs.errors import RunError


def load_corpus(dataset="ko-en", split="train", size=None, seed=0, tsv=None, source_column=0, target_column=1,
                **options):
    """`(source, target)` string pairs from a built-in data set or a TSV file.

    A TSV corpus has no splits of its own: its first `size` lines (default: all) are
    read for every split; hold out a test set in a separate file.
    """
    if tsv is not None:
        if not os.path.isfile(tsv):
            raise RunError("no such file.", "tsv", tsv)
        pairs = data.read_parallel_tsv(tsv, source_column=source_column, target_column=target_column)
        return pairs.take(size) if size else pairs
    if dataset not in data.available():
        raise RunError(f"unknown data set; expected one of {sorted(data.available())} or `tsv`.", "dataset",
                       dataset)
    return data.load(dataset, split, size=size, seed=seed, **options)


def check_not_empty(pairs, tsv=None, source_column=0, target_column=1):
    """Refuses a corpus without one usable pair, before anything is written.

    Otherwise `fit` runs no step and a useless translator is saved (an empty TSV, a
    UTF-16 or Latin-1 file, or wrong columns: the reader skips every line).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", data.MalformedLinesWarning)
        empty = not any(True for _ in pairs.take(1))
    if not empty:
        return
    skipped = [str(w.message) for w in caught if issubclass(w.category, data.MalformedLinesWarning)]
    detail = f" ({skipped[0]})" if skipped else ""
    if tsv is None:
        raise RunError(f"the corpus has no usable sentence pair{detail}.")
    raise RunError(f"no usable sentence pair{detail}; expected UTF-8 text with the source in column {source_column} "
                   f"and the target in column {target_column} (0-based, tab-separated).", "tsv", tsv)
