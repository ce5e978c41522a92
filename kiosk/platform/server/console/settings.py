"""What an operator centre tunes: alert thresholds, login policy and 差评 deadlines by locality."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Deadlines:
    """Working days to contact the rater (回访) and to fix the cause (整改)."""

    contact_days: int = 1
    fix_days: int = 15


# Longest matching prefix of the terminal's 行政区划 code wins ("" is the default).
# Sichuan fixes within 15 working days; 德州 (3714) within 5; Shanghai (31) "1、5、15": 5 for
# simple cases (an operator can mark a case complex, which gives it 15).
DEFAULT_DEADLINES: dict[str, Deadlines] = {
    "": Deadlines(1, 15),
    "51": Deadlines(1, 15),
    "3714": Deadlines(1, 5),
    "31": Deadlines(1, 5),
}
COMPLEX_FIX_DAYS = 15


@dataclass(frozen=True)
class ConsoleSettings:
    offline_after_s: float = 300.0  # missed heartbeats: 5 minutes by default
    backlog_items: int = 50  # outbox depth that raises a backlog alert
    backlog_age_s: float = 3600.0  # ... or an oldest item older than this
    skew_s: float = 120.0
    max_failures: int = 5  # wrong passwords before the account is locked
    lockout_s: float = 900.0
    session_s: float = 8 * 3600.0
    sweep_every_s: float = 5.0
    page_size: int = 50
    deadlines: Mapping[str, Deadlines] = field(default_factory=lambda: dict(DEFAULT_DEADLINES))

    def deadlines_for(self, region: str) -> Deadlines:
        best = ""
        for prefix in self.deadlines:
            if region.startswith(prefix) and len(prefix) >= len(best):
                best = prefix
        return self.deadlines.get(best, Deadlines())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleSettings:
        """KIOSK_CONSOLE_OFFLINE_AFTER_S etc.; KIOSK_CONSOLE_DEADLINES names a TOML file
        with tables like `[3714] contact_days = 1, fix_days = 5`."""
        env = os.environ if environ is None else environ
        default = cls()

        def number(name: str, kind: Callable[[str], N], fallback: N) -> N:
            raw = env.get(f"KIOSK_CONSOLE_{name.upper()}")
            return kind(raw) if raw else fallback

        deadlines = dict(DEFAULT_DEADLINES)
        path = env.get("KIOSK_CONSOLE_DEADLINES")
        if path:
            deadlines.update(load_deadlines(Path(path)))
        return cls(
            offline_after_s=number("offline_after_s", float, default.offline_after_s),
            backlog_items=number("backlog_items", int, default.backlog_items),
            backlog_age_s=number("backlog_age_s", float, default.backlog_age_s),
            skew_s=number("skew_s", float, default.skew_s),
            max_failures=number("max_failures", int, default.max_failures),
            lockout_s=number("lockout_s", float, default.lockout_s),
            session_s=number("session_s", float, default.session_s),
            deadlines=deadlines,
        )


def load_deadlines(path: Path) -> dict[str, Deadlines]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found: dict[str, Deadlines] = {}
    for region, table in data.items():
        if not isinstance(table, dict) or not (region.isdigit() or region == "default"):
            raise ValueError(f"{path}: [{region}] must be a 行政区划 code prefix or 'default'")
        found["" if region == "default" else region] = Deadlines(
            int(table.get("contact_days", 1)), int(table.get("fix_days", 15))
        )
    return found
