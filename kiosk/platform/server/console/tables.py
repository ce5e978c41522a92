"""The console's tables, beside the platform's own in the same database (SQLite or
PostgreSQL), and a thin way to run SQL on the platform's Storage connection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kiosk.platform.server.db import Storage

_DDL = """
CREATE TABLE IF NOT EXISTS console_operators (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0, locked_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS console_sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS console_audit (
    id {ID}, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, detail TEXT NOT NULL, peer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_audit_at ON console_audit (at);
CREATE TABLE IF NOT EXISTS console_terminals (
    id TEXT PRIMARY KEY, state TEXT NOT NULL, offline INTEGER NOT NULL DEFAULT 0,
    last_seen DOUBLE PRECISION, lock_message TEXT NOT NULL DEFAULT '',
    paper TEXT NOT NULL DEFAULT 'unknown', outbox_depth BIGINT NOT NULL DEFAULT 0,
    outbox_oldest_s DOUBLE PRECISION, dead_letters BIGINT NOT NULL DEFAULT 0,
    skew_s DOUBLE PRECISION, version TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '', region TEXT NOT NULL DEFAULT '',
    devices TEXT NOT NULL DEFAULT '[]', alerts TEXT NOT NULL DEFAULT '',
    alert_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS console_terminals_alerts ON console_terminals (alert_count DESC, id);
CREATE INDEX IF NOT EXISTS console_terminals_state ON console_terminals (state, id);
CREATE INDEX IF NOT EXISTS console_terminals_seen ON console_terminals (offline, last_seen);
CREATE TABLE IF NOT EXISTS console_alerts (
    id {ID}, terminal_id TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL,
    raised_at DOUBLE PRECISION NOT NULL, cleared_at DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS console_alerts_terminal ON console_alerts (terminal_id, cleared_at);
CREATE TABLE IF NOT EXISTS console_events (
    id {ID}, terminal_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_events_terminal ON console_events (terminal_id, id);
CREATE TABLE IF NOT EXISTS console_commands (
    command_id BIGINT PRIMARY KEY, terminal_id TEXT NOT NULL, name TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '', issued_by TEXT NOT NULL,
    issued_at DOUBLE PRECISION NOT NULL, ok INTEGER, result TEXT, bundle TEXT,
    done_at DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS console_commands_terminal ON console_commands (terminal_id, command_id);
CREATE TABLE IF NOT EXISTS console_ratings (
    item_key TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, service_code TEXT NOT NULL,
    level INTEGER NOT NULL, day TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    reference TEXT NOT NULL, indicators TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_ratings_day ON console_ratings (day, level);
CREATE TABLE IF NOT EXISTS console_workorders (
    id {ID}, rating_key TEXT NOT NULL UNIQUE, terminal_id TEXT NOT NULL,
    service_code TEXT NOT NULL, level INTEGER NOT NULL, reference TEXT NOT NULL,
    indicators TEXT NOT NULL, state TEXT NOT NULL, complex INTEGER NOT NULL DEFAULT 0,
    opened_at DOUBLE PRECISION NOT NULL, contact_due DOUBLE PRECISION NOT NULL,
    fix_due DOUBLE PRECISION NOT NULL, contacted_at DOUBLE PRECISION,
    closed_at DOUBLE PRECISION, notes TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS console_workorders_state ON console_workorders (state, id);
"""


class Tables:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.postgres = storage.dialect == "postgresql"
        ident = (
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            if self.postgres
            else "INTEGER PRIMARY KEY AUTOINCREMENT"
        )
        with self.tx():
            for statement in _DDL.replace("{ID}", ident).split(";"):
                if statement.strip():
                    self.run(statement)

    @contextmanager
    def tx(self, durable: bool = True) -> Iterator[None]:
        with self.storage._tx(durable):
            yield

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run on the shared connection (callers hold tx() for writes)."""
        with self.storage._lock:
            return self.storage._exec(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.storage._lock:
            return [tuple(r) for r in self.storage._exec(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self.storage._lock:
            row = self.storage._exec(sql, params).fetchone()
        return None if row is None else tuple(row)

    def audit(
        self, actor: str, action: str, target: str, detail: str, peer: str, now: float
    ) -> None:
        with self.tx():
            self.run(
                "INSERT INTO console_audit (at, actor, action, target, detail, peer) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now, actor, action, target, detail[:1000], peer),
            )
