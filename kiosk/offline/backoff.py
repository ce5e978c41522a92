"""Retry timing: exponential backoff with full jitter, and the server's Retry-After as a floor.

Full jitter (sleep = uniform(0, min(cap, base * 2**n))) spreads a fleet of kiosks that all
lost the network at once, so they do not hammer the platform together when it comes back.
"""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 86_400.0  # a broken header must not park the outbox for weeks


def full_jitter(failures: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before the next attempt after `failures` consecutive failures (>= 1)."""
    exponent = min(max(failures - 1, 0), 62)
    ceiling = min(cap, base * (2.0**exponent))
    return (rng or random).uniform(0.0, ceiling)


def next_delay(
    failures: int,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Jittered backoff, never earlier than Retry-After when the server sent one."""
    delay = full_jitter(failures, base, cap, rng)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
    return delay


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date, RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)
