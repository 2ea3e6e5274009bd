"""When a sentence says its event happened, resolved against the article's date.

"On Aug. 10, 2020" is a day; "on Monday" is the Monday before the article (a day,
if the article's date is known); "last week", "last summer", "in 2020" are ranges,
marked approximate. The first date a sentence names is its event's. Without the
article's date, only dates that carry their year resolve.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b", re.I
)
_DAY_FIRST = re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}(?:\s+(?P<year>(?:19|20)\d\d))?\b", re.I)
_WEEKDAY = re.compile(
    r"\b(?:on|last|this)\s+(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I
)
_RELATIVE = re.compile(r"\b(?P<which>last|this|next)\s+(?P<unit>week|month|year)\b", re.I)
_SEASON = re.compile(r"\b(?P<which>last|this)\s+(?P<season>spring|summer|autumn|fall|winter)\b", re.I)
_DAYWORD = re.compile(r"\b(?P<word>yesterday|today)\b", re.I)
_YEAR = re.compile(r"\b(?:in|since|during)\s+(?P<year>(?:19|20)\d\d)\b", re.I)


@dataclass(frozen=True)
class When:
    start: date
    end: date
    approximate: bool


def event_date(sentence: str, published: date | None) -> When | None:
    """The first date ``sentence`` names, resolved; None if it names none it can place."""
    found = []
    for reader in (_day_month_year, _weekday, _relative, _season, _dayword, _year):
        for start, when in reader(sentence, published):
            found.append((start, when))
    if not found:
        return None
    return min(found, key=lambda pair: pair[0])[1]


def _day_month_year(sentence: str, published: date | None):
    for pattern in (_DAY_MONTH_YEAR, _DAY_FIRST):
        for match in pattern.finditer(sentence):
            month, day = MONTHS[match.group("month").lower()], int(match.group("day"))
            if match.group("year"):
                year = int(match.group("year"))
            elif published is not None:
                # "On June 15" in an article of March 2022 is last June's.
                year = published.year if (month, day) <= (published.month, published.day) else published.year - 1
            else:
                continue
            try:
                day_date = date(year, month, day)
            except ValueError:
                continue
            yield match.start(), When(day_date, day_date, False)


def _weekday(sentence: str, published: date | None):
    if published is None:
        return
    for match in _WEEKDAY.finditer(sentence):
        weekday = WEEKDAYS[match.group("weekday").lower()]
        back = (published.weekday() - weekday) % 7
        if match.group(0).lower().startswith("last") and back == 0:
            back = 7
        day = published - timedelta(days=back)
        yield match.start(), When(day, day, False)


def _relative(sentence: str, published: date | None):
    if published is None:
        return
    for match in _RELATIVE.finditer(sentence):
        step = {"last": -1, "this": 0, "next": 1}[match.group("which").lower()]
        unit = match.group("unit").lower()
        if unit == "week":
            monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
            yield match.start(), When(monday, monday + timedelta(days=6), True)
        elif unit == "month":
            year, month = divmod(published.year * 12 + published.month - 1 + step, 12)
            month += 1
            yield (
                match.start(),
                When(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), True),
            )
        else:
            year = published.year + step
            yield match.start(), When(date(year, 1, 1), date(year, 12, 31), True)


def _season_in(year: int, first: int, last: int) -> tuple[date, date]:
    end_year = year + 1 if last < first else year  # winter runs into the next year
    return date(year, first, 1), date(end_year, last, calendar.monthrange(end_year, last)[1])


def _season(sentence: str, published: date | None):
    if published is None:
        return
    for match in _SEASON.finditer(sentence):
        first, last = SEASONS[match.group("season").lower()]
        years = [published.year - back for back in range(3)]
        if match.group("which").lower() == "last":
            # The latest such season over before the article.
            start, end = next(_season_in(y, first, last) for y in years if _season_in(y, first, last)[1] < published)
        else:
            # The one the article is in, or that began last.
            start, end = next(_season_in(y, first, last) for y in years if _season_in(y, first, last)[0] <= published)
        yield match.start(), When(start, end, True)


def _dayword(sentence: str, published: date | None):
    if published is None:
        return
    for match in _DAYWORD.finditer(sentence):
        day = published - timedelta(days=1 if match.group("word").lower() == "yesterday" else 0)
        yield match.start(), When(day, day, False)


def _year(sentence: str, published: date | None):
    for match in _YEAR.finditer(sentence):
        year = int(match.group("year"))
        yield match.start(), When(date(year, 1, 1), date(year, 12, 31), True)
