"""Algorithmic tasks and dates: answers re-derived independently, exact length control."""

import datetime
import random
import re

import pytest

from keras_attn import data
from keras_attn.data import normalize
from keras_attn.data.algorithmic import AdditionTask
from keras_attn.data.algorithmic import CopyTask
from keras_attn.data.algorithmic import ReverseTask
from keras_attn.data.algorithmic import SortTask
from keras_attn.data.dates import FORMATS
from keras_attn.data.dates import DatesTask


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


_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_STRPTIME = {
    "month_day_year": "%B %d , %Y",
    "day_month_year": "%d %B %Y",
    "short_month_day_year": "%b %d , %Y",
    "day_short_month_year": "%d %b %Y",
    "weekday_month_day_year": "%A , %B %d , %Y",
    "month_ordinal_year": "%B %d , %Y",
    "ordinal_of_month_year": "the %d of %B %Y",
    "us_slashes": "%m / %d / %Y",
    "european_dots": "%d . %m . %Y",
    "year_slashes": "%Y / %m / %d",
    "dashed_short_month": "%d - %b - %Y",
    "korean": "%Y년 %m월 %d일",
}


def _expected_suffix(day):
    return "th" if 10 < day % 100 < 14 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _parse(source):
    """Every date `datetime.strptime` reads from a source, with any pattern."""
    for day, suffix in _ORDINAL.findall(source):
        assert suffix == _expected_suffix(int(day)), source
    plain = _ORDINAL.sub(r"\1", source)
    dates = set()
    for pattern in set(_STRPTIME.values()):
        try:
            dates.add(datetime.datetime.strptime(plain, pattern).date())
        except ValueError:
            pass
    return dates


def test_dates_parse_to_their_iso_target():
    assert set(_STRPTIME) == set(FORMATS)
    task = DatesTask(min_year=1950, max_year=2049)
    for example in _sample(task, 2000):
        dates = _parse(example.source)
        assert len(dates) == 1, example  # exactly one reading
        (date,) = dates
        assert example.target.replace(" ", "") == date.isoformat()
        assert 1950 <= date.year <= 2049
        weekday = example.source.split(" , ")[0]
        if weekday.endswith("day"):
            assert weekday == date.strftime("%A").lower()
        assert normalize(example.source) == example.source
        assert normalize(example.target) == example.target


def test_every_date_format_is_used():
    task = DatesTask()
    separators = {"/", ".", "-", ",", "년", "of"}
    seen = set()
    for example in _sample(task, 400):
        seen |= separators & set(re.findall(r"[/.\-,]|년|of", example.source))
    assert seen == separators


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CopyTask(min_length=5, max_length=2), "must not exceed"),
        (lambda: ReverseTask(vocabulary_size=0), "vocabulary_size"),
        (lambda: SortTask(max_length=2.5), "max_length"),
        (lambda: AdditionTask(operands=1), "operands"),
        (lambda: DatesTask(formats=["julian"]), "unknown formats"),
        (lambda: DatesTask(min_year=99), "min_year"),
    ],
)
def test_option_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_tasks_are_registered_under_their_names():
    assert data.available() == ["addition", "copy", "dates", "ko-en", "reverse", "sort"]
