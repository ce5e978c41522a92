"""好差评 follow-up: every rating counted by service, terminal and level over time; every
不满意 / 非常不满意 opens a work order with its locality's deadlines.

Levels are the national codes of GB/T 39046-2020 表 A.8: 1 = 非常满意 … 5 = 非常不满意, so
4 and 5 are the bad ones. A record that also names its level (level_name) is read by the
name when the two disagree: a terminal still numbering the other way (as some provincial
interfaces do) must not turn a 非常不满意 into a 非常满意."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.platform.server.console.rules import CHINA, add_working_days
from kiosk.platform.server.console.settings import COMPLEX_FIX_DAYS, ConsoleSettings
from kiosk.platform.server.console.tables import Tables
from kiosk.privacy import mask_name, mask_phone

GB_LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
BAD_LEVELS = (4, 5)
_BY_NAME = {name: code for code, name in GB_LEVELS.items()}

PENDING, FIXING, CLOSED, APPEAL = "待回访", "整改中", "已办结", "申诉复核"
STATES = (PENDING, FIXING, APPEAL, CLOSED)
# action -> (from states, to state, label)
ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "contacted": ((PENDING,), FIXING, "已回访，开始整改"),
    "resolve": ((PENDING, FIXING), CLOSED, "整改完成，办结"),
    "appeal": ((PENDING, FIXING), APPEAL, "申诉复核"),
    "appeal_upheld": ((APPEAL,), CLOSED, "复核通过，差评撤销"),
    "appeal_rejected": ((APPEAL,), FIXING, "复核不通过，继续整改"),
    "mark_complex": ((PENDING, FIXING), "", "复杂问题，整改期延长"),
}

OpenApplication = Callable[[str], Mapping[str, Any] | None]


def gb_level(display: Mapping[str, Any]) -> int | None:
    name = display.get("level_name")
    if isinstance(name, str) and name in _BY_NAME:
        return _BY_NAME[name]
    level = display.get("level")
    return level if isinstance(level, int) and level in GB_LEVELS else None


@dataclass(frozen=True)
class WorkOrder:
    id: int
    terminal_id: str
    service_code: str
    level: int
    reference: str
    indicators: list[str]
    state: str
    complex: bool
    opened_at: float
    contact_due: float
    fix_due: float
    contacted_at: float | None
    closed_at: float | None
    notes: str

    def overdue(self, now: float) -> str:
        """Which deadline is past ('' if none)."""
        if self.state in (CLOSED, APPEAL):
            return ""
        if self.state == PENDING and now > self.contact_due:
            return "回访超期"
        return "整改超期" if now > self.fix_due else ""


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str

    def masked(self) -> Contact:
        return Contact(mask_name(self.name), mask_phone(self.phone))


_WO_COLUMNS = ("id, terminal_id, service_code, level, reference, indicators, state, complex, "
               "opened_at, contact_due, fix_due, contacted_at, closed_at, notes")  # fmt: skip


class FollowUp:
    def __init__(self, tables: Tables, settings: ConsoleSettings, opener: OpenApplication) -> None:
        self.t = tables
        self.settings = settings
        self.opener = opener

    def on_rating(
        self, terminal_id: str, key: str, display: Mapping[str, Any], now: float
    ) -> int | None:
        """Count an accepted rating; open a work order for a bad one. Returns its id."""
        level = gb_level(display)
        if level is None:
            return None
        service = str(display.get("service_code") or "")[:64]
        reference = str(display.get("reference") or "")[:64]
        raw = display.get("indicators")
        indicators = json.dumps([str(i)[:40] for i in raw][:10] if isinstance(raw, list) else [],
                                ensure_ascii=False)  # fmt: skip
        day = datetime.fromtimestamp(now, CHINA).strftime("%Y-%m-%d")
        with self.t.tx():
            cur = self.t.run(
                "INSERT INTO console_ratings (item_key, terminal_id, service_code, level, day, "
                "at, reference, indicators) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (item_key) DO NOTHING",
                (key, terminal_id, service, level, day, now, reference, indicators),
            )
            if cur.rowcount != 1 or level not in BAD_LEVELS:
                return None
            region_row = self.t.one(
                "SELECT region FROM console_terminals WHERE id = ?", (terminal_id,)
            )
            due = self.settings.deadlines_for(str(region_row[0]) if region_row else "")
            row = self.t.one(
                "INSERT INTO console_workorders (rating_key, terminal_id, service_code, level, "
                "reference, indicators, state, opened_at, contact_due, fix_due) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (key, terminal_id, service, level, reference, indicators, PENDING, now,
                 add_working_days(now, due.contact_days), add_working_days(now, due.fix_days)),
            )  # fmt: skip
        return int(row[0]) if row else None

    def orders(self, state: str, page: int, size: int = 50) -> tuple[list[WorkOrder], int]:
        where, params = ("WHERE state = ?", [state]) if state in STATES else ("", [])
        rows = self.t.rows(
            f"SELECT {_WO_COLUMNS} FROM console_workorders {where} "
            f"ORDER BY CASE WHEN state = '{CLOSED}' THEN 1 ELSE 0 END, contact_due, id "
            f"LIMIT {size} OFFSET {max(page, 0) * size}",
            params,
        )
        total = self.t.one(f"SELECT COUNT(*) FROM console_workorders {where}", params)
        return [_order(r) for r in rows], int(total[0]) if total else 0

    def order(self, order_id: int) -> WorkOrder | None:
        row = self.t.one(f"SELECT {_WO_COLUMNS} FROM console_workorders WHERE id = ?", (order_id,))
        return _order(row) if row else None

    def act(self, order_id: int, action: str, note: str, actor: str, now: float) -> WorkOrder:
        order = self.order(order_id)
        if order is None:
            raise LookupError(f"no work order {order_id}")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        allowed, target, label = ACTIONS[action]
        if order.state not in allowed:
            raise ValueError(f"{label}: not possible while the order is {order.state}")
        stamp = datetime.fromtimestamp(now, CHINA).strftime("%m-%d %H:%M")
        notes = (order.notes + "\n" if order.notes else "") + f"{stamp} {actor}: {label}" + (
            f" — {note[:500]}" if note else "")  # fmt: skip
        with self.t.tx():
            if action == "mark_complex":
                self.t.run(
                    "UPDATE console_workorders SET complex = 1, fix_due = ?, notes = ? WHERE id = ?",
                    (add_working_days(order.opened_at, COMPLEX_FIX_DAYS), notes, order_id),
                )
            else:
                self.t.run(
                    "UPDATE console_workorders SET state = ?, notes = ?, "
                    "contacted_at = COALESCE(contacted_at, ?), closed_at = ? WHERE id = ?",
                    (target, notes, now if action == "contacted" else None,
                     now if target == CLOSED else None, order_id),
                )  # fmt: skip
        updated = self.order(order_id)
        assert updated is not None
        return updated

    def contact(self, order: WorkOrder) -> Contact | None:
        """The rater's real name and phone, from the sealed application the rating is about
        (decrypted when asked, never stored in clear). None for an anonymous rating."""
        found = self.opener(order.reference) if order.reference else None
        if not found:
            return None
        name = str(found.get("name") or "")
        phone = next((str(v) for k, v in found.items() if "phone" in k and v), "")
        return Contact(name, phone) if name or phone else None

    def stats(self, days: int = 30) -> dict[str, list[tuple[str, dict[int, int]]]]:
        """Counts by level per day, per service and per terminal over the last `days`."""
        import time

        since = datetime.fromtimestamp(time.time() - days * 86400, CHINA).strftime("%Y-%m-%d")
        out: dict[str, list[tuple[str, dict[int, int]]]] = {}
        for name, column in (
            ("day", "day"),
            ("service", "service_code"),
            ("terminal", "terminal_id"),
        ):
            rows = self.t.rows(
                f"SELECT {column}, level, COUNT(*) FROM console_ratings WHERE day >= ? "
                f"GROUP BY {column}, level ORDER BY {column}",
                (since,),
            )
            grouped: dict[str, dict[int, int]] = {}
            for key, level, count in rows:
                grouped.setdefault(str(key), {})[int(level)] = int(count)
            ordered = sorted(grouped.items(), key=lambda kv: (
                kv[0] if name == "day" else -sum(kv[1].get(b, 0) for b in BAD_LEVELS)))  # fmt: skip
            out[name] = ordered[-60:] if name == "day" else ordered[:50]
        return out


def _order(r: tuple[Any, ...]) -> WorkOrder:
    return WorkOrder(
        int(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4]), json.loads(str(r[5])), str(r[6]),
        bool(r[7]), float(r[8]), float(r[9]), float(r[10]),
        None if r[11] is None else float(r[11]), None if r[12] is None else float(r[12]), str(r[13]),
    )  # fmt: skip
