"""Gold alignments as matrices."""

import numpy as np
import pytest

from keras_attn import data
from keras_attn.data.corpora.ko_en import Clause
from keras_attn.data.corpora.ko_en import Sentence
from keras_attn.data.corpora.ko_en import realize


def test_matrix_of_the_seed_sentence():
    example = realize(Sentence([Clause("나", "먹다", object="밥", tense="past")]))
    matrix = data.alignment_matrix(example.alignment, 3, 3)
    # i ↔ 나는, ate ↔ 먹었다, rice ↔ 밥을: the SOV → SVO swap.
    np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert matrix.dtype == np.float32


def test_matrix_rejects_links_outside():
    with pytest.raises(ValueError, match="outside a 2 x 2 matrix"):
        data.alignment_matrix([(2, 0)], 2, 2)
    with pytest.raises(ValueError, match=">= 0"):
        data.alignment_matrix([(-1, 0)], 2, 2)


def test_matrix_of_a_generated_pair_matches_its_links():
    (example,) = data.generate("ko-en", "test", size=1, seed=3)
    source, target = example.source.split(), example.target.split()
    matrix = data.alignment_matrix(example.alignment, len(target), len(source))
    assert matrix.sum() == len(example.alignment)
    assert (matrix.sum(axis=1) >= 1).all()  # every English word is aligned
    assert data.alignment_matrix([], 2, 3).shape == (2, 3)
