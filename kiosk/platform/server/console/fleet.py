"""Terminals at a glance: each heartbeat updates one row per terminal, raises and clears
alerts by rule and writes the terminal's history; a sweep marks terminals offline once
their heartbeats stop. Every list is one indexed, paged query, for 20,000 terminals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from kiosk.platform import schemas as s
from kiosk.platform.server.console.rules import Report, alerts_for, sort_alerts
from kiosk.platform.server.console.settings import ConsoleSettings
from kiosk.platform.server.console.tables import Tables

BROKEN_STATES = ("hardwareError", "offline", "powerOff")
ROSTER_EVERY_S = 60.0  # how often newly enrolled, silent terminals are added to the list
STATE_LABELS = {
    "online": "在线", "offline": "离线", "locked": "已锁定", "out_of_service": "暂停服务",
    "never": "未上报",
}  # fmt: skip
CONSOLE_COMMANDS = ("lock", "unlock", "refresh_catalog", "collect_diagnostics", "restart")
COMMAND_LABELS = {
    "lock": "锁定", "unlock": "解锁", "refresh_catalog": "刷新事项目录",
    "collect_diagnostics": "收集诊断包", "restart": "重启终端程序",
}  # fmt: skip
_COLUMNS = (
    "id, state, last_seen, lock_message, paper, outbox_depth, outbox_oldest_s, dead_letters, "
    "skew_s, version, location, region, devices, alerts"
)


@dataclass(frozen=True)
class TerminalRow:
    id: str
    state: str
    last_seen: float | None
    lock_message: str
    paper: str
    outbox_depth: int
    outbox_oldest_s: float | None
    dead_letters: int
    skew_s: float | None
    version: str
    location: str
    region: str
    devices: list[dict[str, str]]
    alerts: list[str]

    @classmethod
    def of(cls, row: tuple[object, ...]) -> TerminalRow:
        (tid, state, seen, message, paper, depth, oldest, dead, skew, version, location,
         region, devices, alerts) = row  # fmt: skip
        return cls(
            str(tid), str(state), _float(seen), str(message), str(paper), int(str(depth)),
            _float(oldest), int(str(dead)), _float(skew), str(version), str(location),
            str(region), json.loads(str(devices)), sort_alerts([a for a in str(alerts).split(",") if a]),
        )  # fmt: skip


@dataclass(frozen=True)
class Event:
    at: float
    kind: str
    detail: str


@dataclass(frozen=True)
class CommandRow:
    id: int
    name: str
    message: str
    issued_by: str
    issued_at: float
    acked: bool
    ok: bool | None
    result: str
    has_bundle: bool


@dataclass(frozen=True)
class Page:
    rows: list[TerminalRow]
    total: int
    counts: dict[str, int]
    alerting: int


Filter = Literal["", "online", "offline", "locked", "out_of_service", "never", "alerts"]


class Fleet:
    def __init__(self, tables: Tables, settings: ConsoleSettings) -> None:
        self.t = tables
        self.settings = settings
        self._last_sweep = 0.0
        self._last_roster = 0.0

    # --- heartbeats -----------------------------------------------------------------------

    def on_heartbeat(self, terminal_id: str, req: s.HeartbeatRequest, now: float) -> None:
        skew = None
        if req.sent_at:
            try:
                sent = datetime.fromisoformat(req.sent_at.replace("Z", "+00:00"))
                if sent.tzinfo is None:
                    sent = sent.replace(tzinfo=UTC)
                skew = sent.timestamp() - now
            except ValueError:
                skew = None
        paper = req.paper or "unknown"
        broken = tuple(d.device for d in req.devices if d.state in BROKEN_STATES)
        report = Report(
            paper, req.outbox_depth, req.outbox_oldest_s, req.dead_letters, skew, broken
        )
        wanted = alerts_for(report, self.settings)
        if req.locked:
            state = "locked" if req.lock_reason == "platform" else "out_of_service"
        else:
            state = "online"
        devices = json.dumps([d.model_dump() for d in req.devices], ensure_ascii=False)
        alerts = ",".join(sort_alerts(list(wanted)))
        # Nearly every beat changes neither state nor alerts: one statement, no history.
        same = self.t.run(
            "UPDATE console_terminals SET offline = 0, last_seen = ?, lock_message = ?, "
            "paper = ?, outbox_depth = ?, outbox_oldest_s = ?, dead_letters = ?, skew_s = ?, "
            "version = ?, location = ?, region = ?, devices = ? "
            "WHERE id = ? AND state = ? AND alerts = ? AND offline = 0",
            (now, (req.lock_message or "")[:200], paper, req.outbox_depth, req.outbox_oldest_s,
             req.dead_letters, skew, req.version, req.location or "", req.region or "", devices,
             terminal_id, state, alerts),
        )  # fmt: skip
        if same.rowcount == 1 and not req.command_results:
            return
        with self.t.tx(durable=False):  # the next beat says it all again
            before = self.t.one(
                "SELECT state, alerts FROM console_terminals WHERE id = ?", (terminal_id,)
            )
            old_state = str(before[0]) if before else "never"
            old_alerts = {a for a in str(before[1]).split(",") if a} if before else set()
            self.t.run(
                "INSERT INTO console_terminals (id, state, offline, last_seen, lock_message, "
                "paper, outbox_depth, outbox_oldest_s, dead_letters, skew_s, version, location, "
                "region, devices, alerts, alert_count) VALUES "
                "(?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "state = excluded.state, offline = 0, last_seen = excluded.last_seen, "
                "lock_message = excluded.lock_message, paper = excluded.paper, "
                "outbox_depth = excluded.outbox_depth, outbox_oldest_s = excluded.outbox_oldest_s, "
                "dead_letters = excluded.dead_letters, skew_s = excluded.skew_s, "
                "version = excluded.version, location = excluded.location, "
                "region = excluded.region, devices = excluded.devices, "
                "alerts = excluded.alerts, alert_count = excluded.alert_count",
                (terminal_id, state, now, (req.lock_message or "")[:200], paper,
                 req.outbox_depth, req.outbox_oldest_s, req.dead_letters, skew, req.version,
                 req.location or "", req.region or "", devices, alerts, len(wanted)),
            )  # fmt: skip
            if old_state != state:
                self._event(
                    terminal_id,
                    now,
                    "state",
                    f"{STATE_LABELS.get(old_state, old_state)} → {STATE_LABELS[state]}",
                )
            for kind in old_alerts - set(wanted):
                self._clear(terminal_id, kind, now)
            for kind in set(wanted) - old_alerts:
                self._raise(terminal_id, kind, wanted[kind], now)
            for result in req.command_results:
                self._result(terminal_id, result, now)

    def _event(self, terminal_id: str, now: float, kind: str, detail: str) -> None:
        self.t.run(
            "INSERT INTO console_events (terminal_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (terminal_id, now, kind, detail[:500]),
        )

    def _raise(self, terminal_id: str, kind: str, detail: str, now: float) -> None:
        self.t.run(
            "INSERT INTO console_alerts (terminal_id, kind, detail, raised_at) VALUES (?, ?, ?, ?)",
            (terminal_id, kind, detail, now),
        )
        self._event(terminal_id, now, "alert", f"告警 {kind}: {detail}")

    def _clear(self, terminal_id: str, kind: str, now: float) -> None:
        self.t.run(
            "UPDATE console_alerts SET cleared_at = ? WHERE terminal_id = ? AND kind = ? "
            "AND cleared_at IS NULL",
            (now, terminal_id, kind),
        )
        self._event(terminal_id, now, "alert", f"解除 {kind}")

    def _result(self, terminal_id: str, result: s.CommandResult, now: float) -> None:
        cur = self.t.run(
            "UPDATE console_commands SET ok = ?, result = ?, bundle = ?, done_at = ? "
            "WHERE command_id = ? AND terminal_id = ? AND done_at IS NULL",
            (1 if result.ok else 0, result.detail[:2000], result.bundle_b64, now,
             result.id, terminal_id),
        )  # fmt: skip
        if cur.rowcount == 1:
            verdict = "完成" if result.ok else "失败"
            self._event(
                terminal_id, now, "command", f"指令 #{result.id} {verdict}: {result.detail[:200]}"
            )

    def sweep(self, now: float, force: bool = False) -> int:
        """Mark terminals whose heartbeats stopped as offline (raising the alert once, even
        with several server processes) and list registered terminals never seen."""
        if not force and now - self._last_sweep < self.settings.sweep_every_s:
            return 0
        self._last_sweep = now
        cutoff = now - self.settings.offline_after_s
        stale = self.t.rows(
            "SELECT id, alerts, state FROM console_terminals WHERE offline = 0 AND last_seen < ?",
            (cutoff,),
        )
        marked = 0
        for tid, alerts, state in stale:
            kinds = sort_alerts([a for a in str(alerts).split(",") if a] + ["offline"])
            with self.t.tx():
                cur = self.t.run(
                    "UPDATE console_terminals SET offline = 1, state = 'offline', alerts = ?, "
                    "alert_count = ? WHERE id = ? AND offline = 0",
                    (",".join(kinds), len(kinds), tid),
                )
                if cur.rowcount != 1:
                    continue  # another process got there first
                minutes = self.settings.offline_after_s / 60
                self._raise(str(tid), "offline", f"超过 {minutes:g} 分钟没有心跳", now)
                self._event(
                    str(tid), now, "state", f"{STATE_LABELS.get(str(state), str(state))} → 离线"
                )
            marked += 1
        if now - self._last_roster > ROSTER_EVERY_S or force and self._last_roster == 0.0:
            self._last_roster = now
            # Enrolled terminals that never beat are listed too. Another process (or a first
            # heartbeat) may insert the same row at the same moment: DO NOTHING.
            self.t.run(
                "INSERT INTO console_terminals (id, state) SELECT t.id, 'never' FROM terminals t "
                "WHERE NOT EXISTS (SELECT 1 FROM console_terminals c WHERE c.id = t.id) "
                "ON CONFLICT (id) DO NOTHING"
            )
        return marked

    # --- reading --------------------------------------------------------------------------

    def page(self, state: Filter, query: str, page: int) -> Page:
        where: list[str] = []
        params: list[str] = []
        if state == "alerts":
            where.append("alert_count > 0")
        elif state:
            where.append("state = ?")
            params.append(state)
        if query:
            where.append("(id LIKE ? OR location LIKE ? OR region LIKE ?)")
            like = f"%{query}%"
            params += [like, like, query + "%"]
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        size = self.settings.page_size
        rows = self.t.rows(
            f"SELECT {_COLUMNS} FROM console_terminals{clause} "
            f"ORDER BY alert_count DESC, id LIMIT {size} OFFSET {max(page, 0) * size}",
            params,
        )
        # One pass for the summary: terminals by state and how many have alerts.
        summary = self.t.rows(
            "SELECT state, COUNT(*), SUM(CASE WHEN alert_count > 0 THEN 1 ELSE 0 END) "
            "FROM console_terminals GROUP BY state"
        )
        counts = {str(r[0]): int(r[1]) for r in summary}
        alerting = sum(int(r[2] or 0) for r in summary)
        if query:
            found = self.t.one(f"SELECT COUNT(*) FROM console_terminals{clause}", params)
            total = int(found[0]) if found else 0
        elif state == "alerts":
            total = alerting
        else:
            total = counts.get(state, 0) if state else sum(counts.values())
        return Page([TerminalRow.of(r) for r in rows], total, counts, alerting)

    def terminal(self, terminal_id: str) -> TerminalRow | None:
        row = self.t.one(f"SELECT {_COLUMNS} FROM console_terminals WHERE id = ?", (terminal_id,))
        return TerminalRow.of(row) if row else None

    def history(self, terminal_id: str, limit: int = 100) -> list[Event]:
        rows = self.t.rows(
            "SELECT at, kind, detail FROM console_events WHERE terminal_id = ? "
            f"ORDER BY id DESC LIMIT {int(limit)}",
            (terminal_id,),
        )
        return [Event(float(r[0]), str(r[1]), str(r[2])) for r in rows]

    # --- commands -------------------------------------------------------------------------

    def command(self, terminal_id: str, name: str, message: str, actor: str, now: float) -> int:
        if name not in CONSOLE_COMMANDS:
            raise ValueError(f"unknown command {name!r}")
        command_id = self.t.storage.queue_command(terminal_id, name)
        with self.t.tx():
            self.t.run(
                "INSERT INTO console_commands (command_id, terminal_id, name, message, "
                "issued_by, issued_at) VALUES (?, ?, ?, ?, ?, ?)",
                (command_id, terminal_id, name, message[:200], actor, now),
            )
            label = COMMAND_LABELS[name] + (f"（{message}）" if message else "")
            self._event(terminal_id, now, "command", f"{actor} 下发指令 #{command_id} {label}")
        return command_id

    def messages_for(self, command_ids: list[int]) -> dict[int, str]:
        if not command_ids:
            return {}
        marks = ",".join("?" * len(command_ids))
        return {int(r[0]): str(r[1]) for r in self.t.rows(
            f"SELECT command_id, message FROM console_commands WHERE command_id IN ({marks})",
            command_ids)}  # fmt: skip

    def commands(self, terminal_id: str, limit: int = 30) -> list[CommandRow]:
        rows = self.t.rows(
            "SELECT c.command_id, c.name, c.message, c.issued_by, c.issued_at, k.acked_at, "
            "c.ok, c.result, c.bundle IS NOT NULL FROM console_commands c "
            "JOIN commands k ON k.id = c.command_id WHERE c.terminal_id = ? "
            f"ORDER BY c.command_id DESC LIMIT {int(limit)}",
            (terminal_id,),
        )
        return [
            CommandRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), r[5] is not None,
                       None if r[6] is None else bool(r[6]), str(r[7] or ""), bool(r[8]))
            for r in rows
        ]  # fmt: skip

    def bundle(self, terminal_id: str, command_id: int) -> str | None:
        row = self.t.one(
            "SELECT bundle FROM console_commands WHERE terminal_id = ? AND command_id = ?",
            (terminal_id, command_id),
        )
        return str(row[0]) if row and row[0] is not None else None


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))
