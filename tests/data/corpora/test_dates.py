"""Dates: every source has exactly one reading, and it is the ISO target."""

import datetime
import random
import re

import pytest

from keras_attn.data import normalize
from keras_attn.data.corpora.dates import FORMATS
from keras_attn.data.corpora.dates import DatesTask


def _sample(task, count=500, seed=0):
    rng = random.Random(seed)
    return [task.sample(rng) for _ in range(count)]


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
        (lambda: DatesTask(formats=["julian"]), "unknown formats"),
        (lambda: DatesTask(min_year=99), "min_year"),
    ],
)
def test_option_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()
