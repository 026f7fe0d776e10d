"""load/generate: determinism, disjoint splits, sizes, alignments, option errors."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_attn import data
from keras_attn.data import splits


def _sources(name, split, **options):
    return [example.source for example in data.generate(name, split, **options)]


@pytest.mark.parametrize("name", ["copy", "reverse", "sort", "addition", "dates", "ko-en"])
def test_generation_is_deterministic_per_seed(name):
    first = list(data.generate(name, "validation", size=50, seed=3))
    again = list(data.generate(name, "validation", size=50, seed=3))
    other = list(data.generate(name, "validation", size=50, seed=4))
    assert first == again
    assert first != other
    assert len(first) == 50


def test_splits_never_share_a_source():
    # A tiny space (155 distinct sources) makes collisions certain without the hash split.
    options = dict(min_length=1, max_length=3, vocabulary_size=5)
    by_split = {split: set(_sources("reverse", split, size=300, **options)) for split in splits.SPLITS}
    assert not by_split["train"] & by_split["test"]
    assert not by_split["train"] & by_split["validation"]
    assert not by_split["validation"] & by_split["test"]
    # Different options per split (short train, long test) cannot overlap either.
    long_test = set(_sources("reverse", "test", size=300, min_length=1, max_length=6, vocabulary_size=5))
    assert not by_split["train"] & long_test


def test_ko_en_splits_are_disjoint_and_follow_the_hash():
    train = _sources("ko-en", "train", size=3000, max_clauses=1)
    test = _sources("ko-en", "test", size=600, max_clauses=1)
    assert not set(train) & set(test)
    assert all(splits.split_of(source) == "train" for source in train)
    assert all(splits.split_of(source) == "test" for source in test)


def test_split_fractions_are_as_documented():
    counts = {split: 0 for split in splits.SPLITS}
    for number in range(20000):
        counts[splits.split_of(f"sentence {number}")] += 1
    for split, fraction in splits.FRACTIONS.items():
        assert abs(counts[split] / 20000 - fraction) < 0.01


def test_unique_sources():
    # 100 two-symbol sources exist, about 80 of them in train.
    sources = _sources("copy", "train", size=60, unique=True, min_length=2, max_length=2, vocabulary_size=10)
    assert len(set(sources)) == 60
    with pytest.raises(ValueError, match="too few distinct sources"):
        list(data.generate("copy", "test", size=10, unique=True, min_length=1, max_length=1, vocabulary_size=5))


def test_load_matches_generate():
    dataset = data.load("ko-en", "test", size=20, seed=5)
    assert dataset.element_spec == (tf.TensorSpec((), tf.string), tf.TensorSpec((), tf.string))
    assert len(dataset) == 20
    expected = [(e.source, e.target) for e in data.generate("ko-en", "test", size=20, seed=5)]
    assert data.to_pairs(dataset) == expected
    assert data.to_pairs(dataset) == expected  # re-iterating regenerates the same data
    assert data.to_pairs(dataset, limit=3) == expected[:3]


def test_load_with_alignments():
    dataset = data.load("ko-en", "validation", size=10, seed=1, with_alignments=True)
    assert dataset.element_spec[2] == tf.TensorSpec((None, 2), tf.int32)
    examples = list(data.generate("ko-en", "validation", size=10, seed=1))
    for (source, target, links), example in zip(dataset.as_numpy_iterator(), examples):
        assert (source.decode(), target.decode()) == (example.source, example.target)
        np.testing.assert_array_equal(links, np.array(example.alignment).reshape(-1, 2))
    pairs = data.to_pairs(dataset, limit=2)
    assert pairs[0][2] == examples[0].alignment
    empty_split = splits.split_of("")
    reverse = data.load("reverse", empty_split, size=2, with_alignments=True, min_length=0, max_length=0)
    assert [links.shape for _, _, links in reverse.as_numpy_iterator()] == [(0, 2), (0, 2)]


def test_default_sizes():
    assert data.datasets.DEFAULT_SIZES == {"train": 10_000, "validation": 1_000, "test": 1_000}
    assert len(data.load("copy")) == 10_000
    assert len(data.load("copy", "test")) == 1_000


def test_tasks_are_registered_under_their_names():
    assert data.available() == ["addition", "copy", "dates", "ko-en", "reverse", "sort"]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.load("fr-en"), ValueError, "Unknown data set"),
        (lambda: data.load("copy", "dev"), ValueError, "Unknown split"),
        (lambda: data.load("copy", max_lenght=5), TypeError, "no option max_lenght"),
        (lambda: data.load("copy", size=-1), ValueError, "size"),
        (lambda: data.load("copy", seed="a"), ValueError, "seed"),
        (lambda: data.load("dates", with_alignments=True), ValueError, "no gold alignments"),
        (lambda: data.generate("ko-en", max_clauses=0), ValueError, "max_clauses"),
    ],
)
def test_errors_are_raised_at_the_call(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.slow
def test_generation_is_identical_in_another_process():
    code = (
        "from keras_attn import data\n"
        "for e in data.generate('ko-en', 'test', size=5, seed=2): print(e.source, '|', e.target)\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    here = [f"{e.source} | {e.target}" for e in data.generate("ko-en", "test", size=5, seed=2)]
    assert output.stdout.splitlines() == here
