"""Gold word alignments as dense matrices, the shape of an attention map.

An alignment is a collection of `(target_index, source_index)` links, as produced by
the data sets with gold alignments (`load(..., with_alignments=True)`). Scoring
predicted alignments (AER) is `keras_attn.metrics.alignment_error_rate`.
"""

import numpy as np


def _links(alignment, where):
    array = np.asarray(alignment, dtype=np.int64).reshape(-1, 2)
    negative = (array < 0).any(axis=1)
    if negative.any():
        raise ValueError(f"{where}: alignment indices must be >= 0, got {array[negative].tolist()}.")
    return {(int(t), int(s)) for t, s in array}


def alignment_matrix(alignment, target_length, source_length):
    """A 0/1 matrix with a 1 at every link, shaped like an attention map.

    Args:
        alignment: `(target_index, source_index)` links (a list, tuple or array).
        target_length: number of rows (target tokens).
        source_length: number of columns (source tokens).

    Returns:
        A `float32` array `[target_length, source_length]`.

    Example:

    >>> alignment_matrix([(0, 0), (1, 2), (2, 1)], 3, 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    matrix = np.zeros((target_length, source_length), dtype=np.float32)
    for target, source in _links(alignment, "alignment_matrix"):
        if target >= target_length or source >= source_length:
            raise ValueError(
                f"alignment_matrix: link ({target}, {source}) is outside a "
                f"{target_length} x {source_length} matrix."
            )
        matrix[target, source] = 1.0
    return matrix
