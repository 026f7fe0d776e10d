"""Algorithmic tasks: answers re-derived independently, exact length control."""

import random

import pytest

from keras_attn.data import normalize
from keras_attn.data.corpora.algorithmic import AdditionTask
from keras_attn.data.corpora.algorithmic import CopyTask
from keras_attn.data.corpora.algorithmic import ReverseTask
from keras_attn.data.corpora.algorithmic import SortTask


def _sample(task, count=500, seed=0):
    rng = random.Random(seed)
    return [task.sample(rng) for _ in range(count)]


@pytest.mark.parametrize(
    "task_class, answer",
    [
        (CopyTask, lambda symbols: symbols),
        (ReverseTask, lambda symbols: symbols[::-1]),
        (SortTask, lambda symbols: sorted(symbols, key=int)),
    ],
)
def test_symbol_tasks(task_class, answer):
    task = task_class(min_length=10, max_length=80, vocabulary_size=37)
    lengths = set()
    for example in _sample(task):
        source, target = example.source.split(), example.target.split()
        assert target == answer(source)
        assert 10 <= len(source) <= 80
        assert all(0 <= int(symbol) < 37 for symbol in source)
        lengths.add(len(source))
        # The alignment points every target symbol at an equal source symbol, once.
        assert [t for t, _ in example.alignment] == list(range(len(target)))
        assert sorted(s for _, s in example.alignment) == list(range(len(source)))
        assert all(target[t] == source[s] for t, s in example.alignment)
        assert normalize(example.source) == example.source
    assert min(lengths) <= 12 and max(lengths) >= 78


def test_exact_length_and_empty_sources():
    assert {len(e.source.split()) for e in _sample(ReverseTask(min_length=40, max_length=40), 50)} == {40}
    empty = ReverseTask(min_length=0, max_length=0).sample(random.Random(0))
    assert (empty.source, empty.target, empty.alignment) == ("", "", ())


def test_sort_is_stable_in_its_alignment():
    for example in _sample(SortTask(min_length=5, max_length=30, vocabulary_size=3), 200):
        for (t1, s1), (t2, s2) in zip(example.alignment, example.alignment[1:]):
            if example.target.split()[t1] == example.target.split()[t2]:
                assert s1 < s2


def test_addition():
    task = AdditionTask(min_digits=1, max_digits=7, operands=3)
    digit_counts = set()
    for example in _sample(task):
        operands = example.source.split(" + ")
        assert len(operands) == 3
        numbers = [int(operand.replace(" ", "")) for operand in operands]
        for operand in operands:
            digits = operand.split()
            digit_counts.add(len(digits))
            assert all(len(digit) == 1 for digit in digits)
            assert len(digits) == 1 or digits[0] != "0"
        assert example.target == " ".join(str(sum(numbers)))
    assert digit_counts == set(range(1, 8))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CopyTask(min_length=5, max_length=2), "must not exceed"),
        (lambda: ReverseTask(vocabulary_size=0), "vocabulary_size"),
        (lambda: SortTask(max_length=2.5), "max_length"),
        (lambda: AdditionTask(operands=1), "operands"),
    ],
)
def test_option_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()
