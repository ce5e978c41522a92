"""Storage of the reference platform: SQLite by default, PostgreSQL for a fleet.

The SQL is the common subset of both (ON CONFLICT, RETURNING); only the DDL and the
placeholder style differ. Every operation takes the connection lock, so the ASGI loop, the
CLI and tests may share one Storage. Idempotency keys are a PRIMARY KEY forever: a duplicate
returns the first result whether it was days ago or before a server restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.platform.signing import NONCE_RETENTION_S

DEMO_TERMINAL_ID = "KIOSK-DEMO-0001"
DEMO_TERMINAL_SECRET = "demo-terminal-secret-change-me"
NONCE_PURGE_EVERY_S = 60.0

_TABLES = """
CREATE TABLE IF NOT EXISTS terminals (
    id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at TEXT NOT NULL,
    last_seen_at TEXT, last_heartbeat TEXT);
CREATE TABLE IF NOT EXISTS nonces (
    terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (terminal_id, nonce));
CREATE INDEX IF NOT EXISTS nonces_seen_at ON nonces (seen_at);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, kind TEXT NOT NULL, stream TEXT NOT NULL,
    seq BIGINT NOT NULL, local_ref TEXT NOT NULL, status TEXT NOT NULL, reference TEXT,
    reason TEXT, first_seen_at TEXT NOT NULL, created_at TEXT NOT NULL, attempt INTEGER NOT NULL,
    display TEXT NOT NULL, sealed_kid TEXT, sealed_blob TEXT);
CREATE INDEX IF NOT EXISTS items_reference ON items (reference);
CREATE INDEX IF NOT EXISTS items_local_ref ON items (local_ref);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    ticket_no TEXT NOT NULL, day TEXT NOT NULL, service_code TEXT NOT NULL,
    terminal_id TEXT NOT NULL, issued_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, ticket_no));
CREATE INDEX IF NOT EXISTS tickets_issued ON tickets (day, issued_at);
CREATE TABLE IF NOT EXISTS qr_tokens (
    token TEXT PRIMARY KEY, id_number TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION);
"""
_COMMANDS_SQLITE = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT, terminal_id TEXT NOT NULL, command TEXT NOT NULL,
    issued_at TEXT NOT NULL, acked_at TEXT);
"""
_COMMANDS_PG = """
CREATE TABLE IF NOT EXISTS commands (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, terminal_id TEXT NOT NULL,
    command TEXT NOT NULL, issued_at TEXT NOT NULL, acked_at TEXT);
"""
_COMMANDS_INDEX = "CREATE INDEX IF NOT EXISTS commands_pending ON commands (terminal_id, acked_at);"


def utc_now_iso(now: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class NewItem:
    """An item that passed validation; `reason` set means it is recorded as rejected."""

    key: str
    kind: str
    stream: str
    seq: int
    local_ref: str
    created_at: str
    attempt: int
    display: dict[str, Any]
    sealed_kid: str | None
    sealed_blob: str | None
    reason: str | None = None


class Storage:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._secrets: dict[str, str] = {}
        self._last_purge = 0.0
        self._durable = True
        if url.startswith(("postgresql://", "postgres://")):
            import psycopg  # lazy: only a fleet server needs it

            self.dialect = "postgresql"
            self._conn: Any = psycopg.connect(url, autocommit=True)
        else:
            self.dialect = "sqlite"
            path = url.removeprefix("sqlite:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "PRAGMA synchronous=FULL"
            )  # an acknowledged item survives power loss
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._create()

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None) -> Storage:
        return cls(database_url or f"sqlite:///{Path(data_dir) / 'platform.sqlite3'}")

    # --- plumbing ----------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(self._sql(sql), params)

    @contextmanager
    def _tx(self, durable: bool = True) -> Iterator[None]:
        """One write transaction. durable=False (SQLite) skips the fsync: for the nonce cache,
        where a power cut can only forget a few nonces whose timestamps expire in minutes."""
        with self._lock:
            if self.dialect == "postgresql":
                with self._conn.transaction():
                    yield
                return
            if durable != self._durable:
                self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._durable = durable
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _create(self) -> None:
        ddl = _TABLES + (_COMMANDS_PG if self.dialect == "postgresql" else _COMMANDS_SQLITE)
        with self._tx():
            for statement in (ddl + _COMMANDS_INDEX).split(";"):
                if statement.strip():
                    self._exec(statement)
        self.add_terminal(DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET, replace=False)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- terminals and nonces ----------------------------------------------------------

    def add_terminal(self, terminal_id: str, secret: str, *, replace: bool = True) -> None:
        action = "DO UPDATE SET secret = excluded.secret" if replace else "DO NOTHING"
        with self._tx():
            self._exec(
                f"INSERT INTO terminals (id, secret, created_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (id) {action}",
                (terminal_id, secret, utc_now_iso()),
            )
        self._secrets.pop(terminal_id, None)

    def secret_for(self, terminal_id: str) -> str | None:
        if terminal_id in self._secrets:
            return self._secrets[terminal_id]
        with self._lock:
            row = self._exec("SELECT secret FROM terminals WHERE id = ?", (terminal_id,)).fetchone()
        if row is None:
            return None
        self._secrets[terminal_id] = row[0]
        return row[0]

    def remember_nonce(self, terminal_id: str, nonce: str, now: float) -> bool:
        """Store a nonce; False if it was seen within the retention window."""
        with self._tx(durable=False):
            if now - self._last_purge > NONCE_PURGE_EVERY_S:
                self._exec("DELETE FROM nonces WHERE seen_at < ?", (now - NONCE_RETENTION_S,))
                self._last_purge = now
            cur = self._exec(
                "INSERT INTO nonces (terminal_id, nonce, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (terminal_id, nonce) DO NOTHING",
                (terminal_id, nonce, now),
            )
            return cur.rowcount == 1

    # --- outbox batches ----------------------------------------------------------------

    def known_keys(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        with self._lock:
            rows = self._exec(f"SELECT key FROM items WHERE key IN ({marks})", keys).fetchall()
        return {r[0] for r in rows}

    def _next(self, name: str, count: int = 1) -> int:
        """Reserve `count` values of a counter; returns the last one."""
        row = self._exec(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) "
            "DO UPDATE SET value = counters.value + excluded.value RETURNING value",
            (name, count),
        ).fetchone()
        return int(row[0])

    def submit_batch(
        self, terminal_id: str, items: list[NewItem | str], now: float | None = None
    ) -> list[dict[str, Any]]:
        """Apply a batch in one transaction. A plain str in `items` is a key already known.

        Returns one result per item in order: accepted (new), duplicate (seen before, same
        reference) or rejected (now or the first time, same reason).
        """
        now = time.time() if now is None else now
        seen_at = utc_now_iso(now)
        day = seen_at[:10].replace("-", "")
        results: list[dict[str, Any]] = []
        fresh = [i for i in items if isinstance(i, NewItem) and i.reason is None]
        with self._tx():
            last = self._next("reference", len(fresh)) if fresh else 0
            number = last - len(fresh)
            done: dict[str, dict[str, Any]] = {}
            for item in items:
                key = item if isinstance(item, str) else item.key
                if key in done:
                    results.append(_as_repeat(done[key]))
                    continue
                if isinstance(item, NewItem):
                    reference = None
                    if item.reason is None:
                        number += 1
                        reference = f"ZW{day}{number:08d}"
                    status = "rejected" if item.reason else "accepted"
                    cur = self._exec(
                        "INSERT INTO items (key, terminal_id, kind, stream, seq, local_ref, status,"
                        " reference, reason, first_seen_at, created_at, attempt, display,"
                        " sealed_kid, sealed_blob) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                        " ON CONFLICT (key) DO NOTHING",
                        (
                            key, terminal_id, item.kind, item.stream, item.seq, item.local_ref,
                            status, reference, item.reason, seen_at, item.created_at,
                            item.attempt, json.dumps(item.display, ensure_ascii=False),
                            item.sealed_kid, item.sealed_blob,
                        ),
                    )  # fmt: skip
                    if cur.rowcount == 1:
                        result = {"key": key, "status": status, "first_seen_at": seen_at}
                        result.update({"reference": reference} if reference else {})
                        result.update({"reason": item.reason} if item.reason else {})
                        done[key] = result
                        results.append(result)
                        continue
                row = self._exec(
                    "SELECT status, reference, reason, first_seen_at FROM items WHERE key = ?",
                    (key,),
                ).fetchone()
                first = {"key": key, "status": row[0], "first_seen_at": row[3]}
                first.update({"reference": row[1]} if row[1] else {})
                first.update({"reason": row[2]} if row[2] else {})
                done[key] = first
                results.append(_as_repeat(first))
        return results

    def find_item(self, reference: str) -> dict[str, Any] | None:
        """By platform reference, or by the terminal's local_ref printed on an offline receipt."""
        with self._lock:
            row = self._exec(
                "SELECT key, kind, local_ref, status, reference, first_seen_at, display "
                "FROM items WHERE reference = ? OR local_ref = ? LIMIT 1",
                (reference, reference),
            ).fetchone()
        if row is None:
            return None
        names = ("key", "kind", "local_ref", "status", "reference", "first_seen_at", "display")
        found = dict(zip(names, row, strict=True))
        found["display"] = json.loads(found["display"])
        return found

    def count_items(self) -> int:
        with self._lock:
            return int(self._exec("SELECT COUNT(*) FROM items").fetchone()[0])

    # --- tickets, commands, heartbeats, QR tokens --------------------------------------

    def issue_ticket(
        self, terminal_id: str, service_code: str, prefix: str, now: float | None = None
    ) -> tuple[str, int]:
        """A new ticket number for today and how many tickets of the day are still waiting
        (demo: tickets of the last 20 minutes count as waiting)."""
        now = time.time() if now is None else now
        day = utc_now_iso(now)[:10]
        with self._tx():
            number = self._next(f"ticket:{day}:{prefix}")
            ticket_no = f"{prefix}{number:03d}"
            ahead = self._exec(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND issued_at > ?", (day, now - 1200)
            ).fetchone()[0]
            self._exec(
                "INSERT INTO tickets (ticket_no, day, service_code, terminal_id, issued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (ticket_no, day, service_code, terminal_id, now),
            )
        return ticket_no, int(ahead)

    def queue_command(self, terminal_id: str, command: str) -> int:
        with self._tx():
            row = self._exec(
                "INSERT INTO commands (terminal_id, command, issued_at) VALUES (?, ?, ?) "
                "RETURNING id",
                (terminal_id, command, utc_now_iso()),
            ).fetchone()
        return int(row[0])

    def heartbeat(
        self, terminal_id: str, report: dict[str, Any], acked: list[int]
    ) -> list[dict[str, Any]]:
        """Record a heartbeat, mark acknowledged commands, return the ones still pending."""
        now = utc_now_iso()
        with self._tx():
            self._exec(
                "UPDATE terminals SET last_seen_at = ?, last_heartbeat = ? WHERE id = ?",
                (now, json.dumps(report, ensure_ascii=False), terminal_id),
            )
            for command_id in acked:
                self._exec(
                    "UPDATE commands SET acked_at = ? WHERE id = ? AND terminal_id = ? "
                    "AND acked_at IS NULL",
                    (now, command_id, terminal_id),
                )
            rows = self._exec(
                "SELECT id, command, issued_at FROM commands WHERE terminal_id = ? "
                "AND acked_at IS NULL ORDER BY id LIMIT 100",
                (terminal_id,),
            ).fetchall()
        return [{"id": r[0], "command": r[1], "issued_at": r[2]} for r in rows]

    def terminal_status(self, terminal_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._exec(
                "SELECT last_seen_at, last_heartbeat FROM terminals WHERE id = ?", (terminal_id,)
            ).fetchone()
        if row is None:
            return None
        return {"last_seen_at": row[0], "last_heartbeat": json.loads(row[1]) if row[1] else None}

    def add_qr_token(self, token: str, id_number: str, expires_at: float) -> None:
        with self._tx():
            self._exec(
                "INSERT INTO qr_tokens (token, id_number, expires_at) VALUES (?, ?, ?)",
                (token, id_number, expires_at),
            )

    def use_qr_token(self, token: str, now: float | None = None) -> tuple[str | None, str]:
        """(id_number, "ok") or (None, why): tokens are single-use and expire."""
        now = time.time() if now is None else now
        with self._tx():
            row = self._exec(
                "SELECT id_number, expires_at, used_at FROM qr_tokens WHERE token = ?", (token,)
            ).fetchone()
            if row is None:
                return None, "unknown_token"
            if row[2] is not None:
                return None, "token_already_used"
            if row[1] < now:
                return None, "token_expired"
            self._exec("UPDATE qr_tokens SET used_at = ? WHERE token = ?", (now, token))
        return row[0], "ok"


def _as_repeat(first: dict[str, Any]) -> dict[str, Any]:
    """How a repeat is reported: accepted becomes duplicate; a rejection stays a rejection."""
    again = dict(first)
    if again["status"] == "accepted":
        again["status"] = "duplicate"
    return again
