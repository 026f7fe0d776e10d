"""Streaming reader for tab-separated parallel corpora (Tatoeba / ManyThings format).

The ManyThings files (`kor.txt`, ...) hold one pair per line:
`english<TAB>other language<TAB>attribution`. Any file with the two sentences in
known columns works: columns are 0-based indices, extra columns are ignored.
"""

import collections
import os
import warnings

import tensorflow as tf

from keras_attn.data import splits as splits_lib
from keras_attn.tokenizers import text as text_lib

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CHUNK_SIZE = 256


class MalformedLinesWarning(UserWarning):
    """Some lines of a parallel corpus were skipped."""


def _check_column(argument, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{argument}` must be a 0-based column index (int >= 0), got {value!r}.")


def _check_path(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Parallel corpus not found: {path}")
    if not os.path.isfile(path):
        raise IsADirectoryError(f"Parallel corpus must be a file, got a directory: {path}")
    with open(path, "rb") as file:
        start = file.read(2)
    # Every line of a UTF-16 file would be skipped as invalid UTF-8: say why at once.
    if start in _UTF16_BOMS:
        raise ValueError(f"{path}: the file is UTF-16 text (byte-order mark); save it as UTF-8.")
    return path


def iter_parallel_tsv(path, source_column, target_column, *, strict=False, normalize=True, split=None):
    """Streams (source, target) pairs from a tab-separated file, line by line.

    Handles a UTF-8 byte-order mark and CRLF line ends. Malformed lines — too few
    tab-separated columns, invalid UTF-8, blank lines, or an empty source or
    target — are skipped and counted; a `MalformedLinesWarning` reports the counts
    when the file has been read through. With `strict=True` the first malformed
    line raises instead.

    Args:
        path: the file.
        source_column: 0-based index of the source sentence's column.
        target_column: 0-based index of the target sentence's column.
        strict: raise `ValueError` (with the line number) on a malformed line.
        normalize: return `keras_attn.data.normalize`d sentences (as the built-in
            data sets do); `False` returns them as in the file, stripped.
        split: `None` for every pair, or "train", "validation" or "test" for the
            pairs whose normalised source falls in that split (`split_of`: 80 / 10
            / 10 % by a hash of the sentence). Every translation of one source
            sentence (Tatoeba has several) lands in the same split, so a held-out
            source is never seen in training.

    Returns:
        An iterator of `(source, target)` `str` pairs.

    Raises:
        FileNotFoundError: when `path` does not exist (raised at the call).
        ValueError: on a malformed line when `strict`.
    """
    path = _check_arguments(path, source_column, target_column, split)
    return _read(path, source_column, target_column, strict, normalize, split)


def _check_arguments(path, source_column, target_column, split):
    path = _check_path(path)
    _check_column("source_column", source_column)
    _check_column("target_column", target_column)
    if split is not None:
        splits_lib.check_split(split)
    return path


def _read(path, source_column, target_column, strict, normalize, split):
    needed = max(source_column, target_column) + 1
    skipped = collections.Counter()
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            raw = raw.rstrip(b"\r\n")
            problem = None
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                problem, detail = "invalid UTF-8", f"invalid UTF-8 at byte {error.start}"
            else:
                columns = line.split("\t")
                if not line.strip():
                    problem, detail = "blank", "blank line"
                elif len(columns) < needed:
                    problem = "too few columns"
                    detail = f"{len(columns)} tab-separated column(s), expected at least {needed}"
                else:
                    source = columns[source_column].strip()
                    target = columns[target_column].strip()
                    if not source or not target:
                        problem, detail = "empty sentence", "empty source or target"
            if problem:
                if strict:
                    raise ValueError(f"{path}, line {number}: malformed line ({detail}).")
                skipped[problem] += 1
                continue
            normalized_source = text_lib.normalize(source)
            if split is not None and splits_lib.split_of(normalized_source) != split:
                continue
            if normalize:
                source, target = normalized_source, text_lib.normalize(target)
            yield source, target
    if skipped:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items()))
        warnings.warn(
            f"{path}: skipped {sum(skipped.values())} malformed line(s): {reasons}.",
            MalformedLinesWarning,
            stacklevel=2,
        )


def read_parallel_tsv(path, source_column, target_column, *, strict=False, normalize=True, split=None):
    """Reads a tab-separated parallel corpus as a streaming `tf.data.Dataset`.

    Same arguments and line handling as `iter_parallel_tsv`. The file is read
    lazily, once per iteration over the dataset, never held in memory.

    Returns:
        A `tf.data.Dataset` of `(source, target)` scalar `tf.string` pairs (its
        cardinality is unknown). With `strict=True`, a malformed line makes the
        iteration fail with an error naming the line.

    Example (Korean → English from ManyThings' `kor.txt`, `eng<TAB>kor<TAB>...`):

    ```python
    pairs = read_parallel_tsv("kor.txt", source_column=1, target_column=0)
    ```
    """
    path = _check_arguments(path, source_column, target_column, split)

    def chunks():
        # Chunks of pairs: one Python-to-TensorFlow call per pair would be slow.
        sources, targets = [], []
        for source, target in _read(path, source_column, target_column, strict, normalize, split):
            sources.append(source)
            targets.append(target)
            if len(sources) == _CHUNK_SIZE:
                yield sources, targets
                sources, targets = [], []
        if sources:
            yield sources, targets

    strings = tf.TensorSpec((None,), tf.string)
    return tf.data.Dataset.from_generator(chunks, output_signature=(strings, strings)).unbatch()
