"""Dates written in many human formats, to translate into ISO 8601.

The target is the ISO date in its normalised form, "2021 - 03 - 05" (punctuation is
split off like everywhere else; `target.replace(" ", "")` gives "2021-03-05").
Numeric formats are told apart by their separators, so every source has exactly
one reading: "/" is month/day/year (or year/month/day when it starts with the year),
"." is day.month.year.
"""

import datetime

from keras_attn.data.example import Example
from keras_attn.data.task import Task
from keras_attn.data.task import check_int
from keras_attn.data.task import check_range

# Written out rather than taken from `calendar`, whose names follow the locale.
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


_ORDINAL_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


def _ordinal(day):
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, ..."""
    if day in (11, 12, 13):
        return f"{day}th"
    return f"{day}{_ORDINAL_SUFFIXES.get(day % 10, 'th')}"


def _month(date):
    return MONTHS[date.month - 1]


# Each format returns the normalised tokens of the date.
FORMATS = {
    "month_day_year": lambda d: [_month(d), str(d.day), ",", str(d.year)],
    "day_month_year": lambda d: [str(d.day), _month(d), str(d.year)],
    "short_month_day_year": lambda d: [_month(d)[:3], str(d.day), ",", str(d.year)],
    "day_short_month_year": lambda d: [str(d.day), _month(d)[:3], str(d.year)],
    "weekday_month_day_year": lambda d: [WEEKDAYS[d.weekday()], ",", _month(d), str(d.day), ",", str(d.year)],
    "month_ordinal_year": lambda d: [_month(d), _ordinal(d.day), ",", str(d.year)],
    "ordinal_of_month_year": lambda d: ["the", _ordinal(d.day), "of", _month(d), str(d.year)],
    "us_slashes": lambda d: [str(d.month), "/", str(d.day), "/", str(d.year)],
    "european_dots": lambda d: [f"{d.day:02d}", ".", f"{d.month:02d}", ".", str(d.year)],
    "year_slashes": lambda d: [str(d.year), "/", f"{d.month:02d}", "/", f"{d.day:02d}"],
    "dashed_short_month": lambda d: [f"{d.day:02d}", "-", _month(d)[:3], "-", str(d.year)],
    "korean": lambda d: [f"{d.year}년", f"{d.month}월", f"{d.day}일"],
}


class DatesTask(Task):
    """A date in one of `FORMATS` → the same date in ISO 8601.

    Args:
        min_year: earliest year (at least 1000, so years have four digits).
        max_year: latest year (at most 9999); dates are uniform over the days
            from January 1 of `min_year` to December 31 of `max_year`.
        formats: names of the `FORMATS` to draw from, uniformly (default: all).

    Example:

    >>> import random
    >>> DatesTask(formats=["korean"]).sample(random.Random(0))
    Example(source='2038년 4월 1일', target='2038 - 04 - 01', alignment=None)
    """

    name = "dates"

    def __init__(self, min_year=1900, max_year=2099, formats=None):
        check_int(self.name, "min_year", min_year, 1000, 9999)
        check_int(self.name, "max_year", max_year, 1000, 9999)
        check_range(self.name, "min_year", min_year, "max_year", max_year)
        if formats is None:
            formats = list(FORMATS)
        if isinstance(formats, str) or not formats:
            raise ValueError(f"dates: `formats` must be a non-empty list of names, got {formats!r}.")
        unknown = [name for name in formats if name not in FORMATS]
        if unknown:
            raise ValueError(f"dates: unknown formats {unknown}; known formats: {list(FORMATS)}.")
        self.min_year = min_year
        self.max_year = max_year
        self.formats = list(formats)
        self._first = datetime.date(min_year, 1, 1).toordinal()
        self._last = datetime.date(max_year, 12, 31).toordinal()

    def get_config(self):
        return {"min_year": self.min_year, "max_year": self.max_year, "formats": list(self.formats)}

    def sample(self, rng):
        date = datetime.date.fromordinal(rng.randint(self._first, self._last))
        tokens = FORMATS[rng.choice(self.formats)](date)
        return Example(" ".join(tokens), f"{date.year:04d} - {date.month:02d} - {date.day:02d}")
