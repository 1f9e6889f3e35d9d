"""Quantities and dates in running text: does a sentence state a number, a day, a year?

Used by the abstention policy's answer-kind rule (chains/answer_kind.py): a "how many" question
needs a sentence that gives a number, a "when" question one that gives a time. Plain patterns
over English news text; no parsing of the value itself.
"""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion trillions "
    "dozen dozens percent"
).split()
_QUANTITY = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s*%|\s*(?:bn|m|k)\b)?|[$€£¥]\s*\d|"
    r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)

# months and weekdays only capitalised ("march" and "may" are verbs too); "May" only with a day
# or a year after it ("Russia May Talks" is a headline, "May 9" a date)
_MONTHS = ("January February March April June July August September October November December "
           "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec").split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_NAMED_DAY = re.compile(
    r"\b(?:" + "|".join(_MONTHS) + r")\b\.?|\bMay\s+\d|"
    r"\b(?:" + "|".join(_WEEKDAYS) + r")s?\b")
_DATE = re.compile(
    r"\b(?:1[89]|20)\d\d\b|"                                     # a year
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|"  # numeric dates
    r"\b(?:yesterday|today|tomorrow|tonight|overnight)\b|"
    r"\b(?:last|this|next|earlier this|later this|the previous|the following)\s+"
    r"(?:week|weekend|month|year|morning|evening|night|spring|summer|autumn|fall|winter)\b|"
    r"\b\d+\s+(?:days?|weeks?|months?|years?)\s+(?:ago|earlier|later|before|after)\b",
    re.IGNORECASE)


def has_quantity(text: str) -> bool:
    """True when the text states a number: digits, a currency amount, or a number word."""
    return _QUANTITY.search(text) is not None


def has_date(text: str) -> bool:
    """True when the text states a time: a month, weekday, year, numeric date or relative day."""
    return _NAMED_DAY.search(text) is not None or _DATE.search(text) is not None
