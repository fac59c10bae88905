"""One clock for every table: float days since 1970-01-01 UTC (NaN when unknown).

Dates (``created_on``, ``close_date``, ``since``) become whole days; timestamps (``occurred_at``)
fractional days. Arithmetic on features is then plain numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

EPOCH = date(1970, 1, 1)


def to_days(values: Iterable[Any]) -> np.ndarray:
    """Dates / datetimes / None -> float64 days since the epoch, shape ``[n]``."""
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(np.nan)
        elif isinstance(v, datetime):
            aware = v if v.tzinfo else v.replace(tzinfo=UTC)
            out.append(aware.timestamp() / 86400.0)
        elif isinstance(v, date):
            out.append(float((v - EPOCH).days))
        elif isinstance(v, str):
            out.append(day_of(pd.Timestamp(v).to_pydatetime()))
        else:
            out.append(float(v))
    return np.asarray(out, dtype=np.float64)


def day_of(value: date | datetime) -> float:
    """One date or datetime as float days since the epoch."""
    return float(to_days([value])[0])


def today_days(now: datetime | None = None) -> float:
    """The current UTC time in days (fractional)."""
    return day_of(now or datetime.now(UTC))


def to_date(days: float) -> date | None:
    """Days since the epoch -> the calendar date (None for NaN)."""
    if days is None or np.isnan(days):
        return None
    return date.fromordinal(EPOCH.toordinal() + int(np.floor(days)))
