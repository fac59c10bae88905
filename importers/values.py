"""Value converters shared by the parsers: text in, typed Python values out.

Converters raise ``ValueError`` with a short human message on garbage; ``optional`` turns that into
``None`` plus a problem string the parser reports as a ``Note`` (the record is kept, the bad value
is not guessed at). Dates are ``datetime.date``; timestamps are tz-aware UTC ``datetime`` (naive
input is taken as UTC, as ``graph.model`` does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Final, TypeVar

T = TypeVar("T")

_NUMBER: Final = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS: Final = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_CURRENCY: Final = re.compile(r"[$€£¥\s]|USD|EUR|GBP")
_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y")
_US_FORMATS: Final = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
_EU_FORMATS: Final = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")
_TRUE: Final = frozenset({"true", "1", "yes", "y", "t"})
_FALSE: Final = frozenset({"false", "0", "no", "n", "f"})


def clean(value: object) -> str | None:
    """Strip text; empty, whitespace-only and ``None`` become ``None``; numbers become text."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def optional(convert: Callable[[str], T], value: str | None, name: str, problems: list[str]) -> T | None:
    """``convert(value)``, or ``None`` with a problem noted when the value is not convertible."""
    if value is None:
        return None
    try:
        return convert(value)
    except ValueError as exc:
        problems.append(f"{name}: {exc}")
        return None


def parse_float(value: str) -> float:
    """``"1,234.50"``, ``"$1234"``, ``"1.2e3"`` -> float; refuses NaN/inf and other text."""
    text = _CURRENCY.sub("", value)
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueError(f"not a number: {value[:50]!r}")
    return float(text)


def parse_int(value: str) -> int:
    """Integers, also written ``"1,200"`` or ``"1200.0"``; refuses fractions."""
    number = parse_float(value)
    if number != int(number):
        raise ValueError(f"not a whole number: {value[:50]!r}")
    return int(number)


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value[:50]!r}")


def parse_date(value: str, *, dayfirst: bool = False) -> date:
    """A calendar date from the usual export spellings; ``dayfirst`` decides ``01/02/2024``.

    A timestamp is cut to its date (``2024-03-01T10:00:00Z`` -> 2024-03-01).
    """
    text = value.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text):
        return parse_datetime(text).date()
    formats = _DATE_FORMATS + (_EU_FORMATS + _US_FORMATS if dayfirst else _US_FORMATS + _EU_FORMATS)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value[:50]!r}")


def parse_datetime(value: str, *, dayfirst: bool = False) -> datetime:
    """An instant in UTC: ISO 8601 (``Z``/offsets), ``YYYY-MM-DD HH:MM[:SS]``, a bare date
    (midnight UTC), or epoch milliseconds (HubSpot API exports)."""
    text = value.strip()
    if re.fullmatch(r"\d{12,13}", text):
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        parsed = _slash_datetime(text, dayfirst=dayfirst)
    return as_utc(parsed)


def _slash_datetime(text: str, *, dayfirst: bool) -> datetime:
    """``03/15/2024 10:30`` style: the date part by ``parse_date``, then an optional time."""
    date_part, _, time_part = text.partition(" ")
    day = parse_date(date_part, dayfirst=dayfirst)
    if not time_part.strip():
        return datetime(day.year, day.month, day.day)
    for fmt in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p"):
        try:
            clock = datetime.strptime(time_part.strip().upper(), fmt).time()
            return datetime.combine(day, clock)
        except ValueError:
            continue
    raise ValueError(f"not a timestamp: {text[:50]!r}")


def as_utc(value: datetime) -> datetime:
    """Naive -> UTC (assumed), aware -> converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def minutes_between(start: datetime, end: datetime) -> int | None:
    """Whole minutes from start to end, ``None`` when end is before start."""
    delta = end - start
    return None if delta < timedelta(0) else int(delta.total_seconds() // 60)


def domain_from_url(value: str) -> str:
    """``"https://www.Acme.com/about"`` -> ``"acme.com"``; refuses text with no dotted host."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    host = re.split(r"[/?#:]", text, maxsplit=1)[0]
    host = host.split("@")[-1].removeprefix("www.").strip(".")
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host):
        raise ValueError(f"not a web address: {value[:80]!r}")
    return host


def phone_key(value: str) -> str:
    """Digits only, the last ten kept (drops country codes/formatting) for matching phones."""
    digits = re.sub(r"\D", "", value)
    return digits[-10:]


_LOCAL_OK: Final = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN_OK: Final = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
# An address ``normalise_email`` returns as it is once stripped and lower-cased: no display name,
# brackets, quotes or backticks, no ``mailto:``, dots only inside the local part, one ``@``, a
# domain ``_DOMAIN_OK`` accepts. Anything else takes the long way (which may still accept it).
_PLAIN: Final = re.compile(r"[a-z0-9!#$%&*+/=?^_{|}~-]+(?:\.[a-z0-9!#$%&*+/=?^_{|}~-]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def normalise_email(value: str) -> str | None:
    """The matching key of an address, or ``None`` when nothing usable is left.

    Lower-cases, strips a display name and angle brackets, ``mailto:``, and stray quotes around
    the local part (Enron's ``'lerea.pharr'@enron.com`` and ``'williams@enron.com``). Refuses
    local parts that start or end with a dot or are empty (Enron's ``e-mail <.bob@enron.com>`` is
    a mangled address whose owner cannot be known: guessing ``bob@enron.com`` would merge strangers).
    """
    text = value.strip().lower()
    if _PLAIN.fullmatch(text) is not None:
        return text
    return _normalise_lowered(text)


def _normalise_lowered(text: str) -> str | None:
    """``normalise_email`` of a stripped, lower-cased value, the long way."""
    if "<" in text and ">" in text:
        text = text[text.rfind("<") + 1 : text.rfind(">")]
    text = text.removeprefix("mailto:").strip().strip("<>\"' ")
    local, sep, domain = text.rpartition("@")
    if not sep:
        return None
    local = local.strip("'\"` ")
    domain = domain.strip("'\"` .")
    if not local or local[0] == "." or local[-1] == "." or not _LOCAL_OK.match(local):
        return None
    if not _DOMAIN_OK.match(domain):
        return None
    return f"{local}@{domain}"


def email_domain(address: str) -> str:
    return address.rpartition("@")[2]


def split_list(value: str | None, separators: str = ";,") -> list[str]:
    """``"1; 2,3"`` -> ``["1", "2", "3"]`` (empty items dropped)."""
    if not value:
        return []
    for sep in separators:
        if sep in value:
            break
    else:  # one item (a loop: ``any`` over a generator cost more than the rest of a one-item split)
        stripped = value.strip()
        return [stripped] if stripped else []
    return [part.strip() for part in re.split(f"[{re.escape(separators)}]", value) if part.strip()]


def truncate(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
