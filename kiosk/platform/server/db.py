"""Storage of the reference platform: SQLite by default, PostgreSQL for a fleet.

The SQL is the common subset of both (ON CONFLICT, RETURNING); only the DDL and the
placeholder style differ. Every operation takes the connection lock, so the ASGI loop, the
CLI and tests may share one Storage. Idempotency keys are a PRIMARY KEY forever: a duplicate
returns the first result whether it was days ago or before a server restart.

Nothing here can act as a terminal or a resident: terminals are stored as Ed25519 public
keys, QR tokens and verifications only as SHA-256 hashes, residents as their id_hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.platform.signing import NONCE_RETENTION_S, TerminalKey

log = logging.getLogger(__name__)
NONCE_PURGE_EVERY_S = 60.0
_KEY_SCHEMES = ("ed25519", "sm2")  # public keys only: nothing stored can sign as a terminal
# Tables of earlier versions that kept secrets in clear: dropped at start (terminals must be
# enrolled again with a key pair; QR tokens live five minutes anyway).
_LEGACY_COLUMNS = {"terminals": "secret", "qr_tokens": "id_number"}

_TABLES = """
CREATE TABLE IF NOT EXISTS terminals (
    id TEXT PRIMARY KEY, scheme TEXT NOT NULL, public_key TEXT NOT NULL, created_at TEXT NOT NULL,
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
    token_hash TEXT PRIMARY KEY, id_hash TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS verifications (
    id_hash TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, resident_hash TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL);
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
# Issued certificates: the signed PDF itself is kept so the verification page can re-check
# its signature and compare a file someone holds byte for byte.
_CERTIFICATES = """
CREATE TABLE IF NOT EXISTS certificates (
    code TEXT PRIMARY KEY, certificate_no TEXT NOT NULL, service_code TEXT NOT NULL,
    resident_hash TEXT NOT NULL, terminal_id TEXT NOT NULL, title TEXT NOT NULL,
    certifies TEXT NOT NULL, authority TEXT NOT NULL, issued_at TEXT NOT NULL,
    sha256 TEXT NOT NULL, pdf {blob} NOT NULL);
"""
# Materials a resident's phone uploads for an application: a session per QR code shown by a
# terminal (token kept only as a hash), bound to the first phone that opens it; files as
# bytes; `application_key` is set once, when the application that carries them arrives.
_UPLOADS = """
CREATE TABLE IF NOT EXISTS upload_sessions (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, terminal_id TEXT NOT NULL,
    service_code TEXT NOT NULL, materials TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL, phone_hash TEXT, closed_at DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, material TEXT NOT NULL,
    content_type TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, data {blob} NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, application_key TEXT);
CREATE INDEX IF NOT EXISTS uploads_session ON uploads (session_id);
CREATE TABLE IF NOT EXISTS materials (
    application_key TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
    content_type TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, data {blob} NOT NULL,
    PRIMARY KEY (application_key, position));
"""
CERTIFICATE_FIELDS = ("code", "certificate_no", "service_code", "resident_hash", "terminal_id",
                      "title", "certifies", "authority", "issued_at", "sha256")  # fmt: skip


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
    resident_hash: str | None = None  # whose application (from the sealed data), for scoping


class Storage:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._keys: dict[str, TerminalKey] = {}  # cache of enrolled public keys
        self._demo: dict[str, TerminalKey] = {}
        self._last_purge = 0.0
        self._durable = True
        if url.startswith(("postgresql://", "postgres://")):
            import psycopg  # lazy: only a fleet server needs it

            self.dialect = "postgresql"
            self._conn: Any = psycopg.connect(url, autocommit=True)
            # Statements outside a transaction (heartbeats, nonces) do not wait for the WAL
            # flush; every _tx() that must survive a power cut turns it back on.
            self._conn.execute("SET synchronous_commit TO OFF")
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
        """One write transaction. durable=False skips the wait for the disk (SQLite
        synchronous=NORMAL, PostgreSQL synchronous_commit off): for the nonce cache, where a
        power cut can only forget a few nonces whose timestamps expire in minutes, and for
        heartbeats, which the terminal repeats within a minute anyway."""
        with self._lock:
            if self.dialect == "postgresql":
                with self._conn.transaction():
                    if durable:
                        self._conn.execute("SET LOCAL synchronous_commit TO ON")
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

    def _columns(self, table: str) -> set[str] | None:
        """Column names of a table, None if it does not exist."""
        if self.dialect == "postgresql":
            rows = self._exec(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                (table,),
            ).fetchall()
        else:
            rows = [(r[1],) for r in self._exec(f"PRAGMA table_info({table})").fetchall()]
        return {r[0] for r in rows} or None

    @contextmanager
    def _quick(self) -> Iterator[None]:
        """Writes that need neither atomicity nor the disk (nonces, heartbeats): on
        PostgreSQL each statement commits alone without waiting for the flush, one round
        trip each instead of four; on SQLite a non-durable transaction."""
        if self.dialect == "postgresql":
            with self._lock:
                yield
            return
        with self._tx(durable=False):
            yield

    def _create(self) -> None:
        pg = self.dialect == "postgresql"
        ddl = _TABLES + (_COMMANDS_PG if pg else _COMMANDS_SQLITE)
        ddl += _CERTIFICATES.format(blob="BYTEA" if pg else "BLOB")
        ddl += _UPLOADS.format(blob="BYTEA" if pg else "BLOB")
        with self._tx():
            for table, column in _LEGACY_COLUMNS.items():
                if column in (self._columns(table) or ()):
                    log.warning("dropping table %s of an earlier version: it kept %s in clear",
                                table, column)  # fmt: skip
                    self._exec(f"DROP TABLE {table}")
            for statement in (ddl + _COMMANDS_INDEX).split(";"):
                if statement.strip():
                    self._exec(statement)
            if "resident_hash" not in (self._columns("items") or ()):
                self._exec("ALTER TABLE items ADD COLUMN resident_hash TEXT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- terminals and nonces ----------------------------------------------------------

    def enroll(self, terminal_id: str, public_key: str, scheme: str = "ed25519") -> None:
        """Enroll (or re-key) a terminal by its public key, the only credential kept: Ed25519
        (base64 of the raw key) or SM2 ("sm2:" + hex, 国密)."""
        if scheme not in _KEY_SCHEMES:
            raise ValueError(f"terminals sign with {' or '.join(_KEY_SCHEMES)}, not {scheme}")
        with self._tx():
            self._exec(
                "INSERT INTO terminals (id, scheme, public_key, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET scheme = excluded.scheme, "
                "public_key = excluded.public_key",
                (terminal_id, scheme, public_key, utc_now_iso()),
            )
        self._keys.pop(terminal_id, None)

    def add_demo_terminal(self, terminal_id: str, secret: str) -> None:
        """Demo only (built-in platform, `serve --demo`): accept a shared HMAC secret for this
        terminal while this process runs. Kept in memory, never in the database."""
        self._demo[terminal_id] = TerminalKey("hmac-sha256", secret)

    def terminal_key(self, terminal_id: str) -> TerminalKey | None:
        if terminal_id in self._demo:
            return self._demo[terminal_id]
        if terminal_id in self._keys:
            return self._keys[terminal_id]
        with self._lock:
            row = self._exec(
                "SELECT scheme, public_key FROM terminals WHERE id = ?", (terminal_id,)
            ).fetchone()
        if row is None or row[0] not in _KEY_SCHEMES:
            return None
        key = self._keys[terminal_id] = TerminalKey(row[0], row[1])
        return key

    def remember_nonce(self, terminal_id: str, nonce: str, now: float) -> bool:
        """Store a nonce; False if it was seen within the retention window."""
        with self._quick():
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
                        # The random tail: a reference cannot be guessed from the one before.
                        reference = f"ZW{day}{number:06d}{secrets.randbelow(10**6):06d}"
                    status = "rejected" if item.reason else "accepted"
                    cur = self._exec(
                        "INSERT INTO items (key, terminal_id, kind, stream, seq, local_ref, status,"
                        " reference, reason, first_seen_at, created_at, attempt, display,"
                        " sealed_kid, sealed_blob, resident_hash)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                        " ON CONFLICT (key) DO NOTHING",
                        (
                            key, terminal_id, item.kind, item.stream, item.seq, item.local_ref,
                            status, reference, item.reason, seen_at, item.created_at,
                            item.attempt, json.dumps(item.display, ensure_ascii=False),
                            item.sealed_kid, item.sealed_blob, item.resident_hash,
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

    def find_item(
        self, reference: str, terminal_id: str, resident_hash: str | None = None
    ) -> dict[str, Any] | None:
        """By platform reference, or by the terminal's local_ref printed on an offline receipt;
        only an item this terminal submitted, or one of the verified resident's."""
        with self._lock:
            row = self._exec(
                "SELECT key, kind, local_ref, status, reference, first_seen_at, display "
                "FROM items WHERE (reference = ? OR local_ref = ?) "
                "AND (terminal_id = ? OR (resident_hash IS NOT NULL AND resident_hash = ?)) "
                "LIMIT 1",
                (reference, reference, terminal_id, resident_hash or ""),
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
        """Record a heartbeat, mark acknowledged commands, return the ones still pending.
        Not waited to disk: a lost ack only repeats a command the terminal already did."""
        now = utc_now_iso()
        with self._quick():
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

    def add_qr_token(self, token: str, id_hash: str, expires_at: float) -> None:
        with self._tx():
            self._exec(
                "INSERT INTO qr_tokens (token_hash, id_hash, expires_at) VALUES (?, ?, ?)",
                (_digest(token), id_hash, expires_at),
            )

    def use_qr_token(self, token: str, now: float | None = None) -> tuple[str | None, str]:
        """(id_hash, "ok") or (None, why): tokens are single-use and expire."""
        now = time.time() if now is None else now
        with self._tx():
            row = self._exec(
                "SELECT id_hash, expires_at, used_at FROM qr_tokens WHERE token_hash = ?",
                (_digest(token),),
            ).fetchone()
            if row is None:
                return None, "unknown_token"
            if row[2] is not None:
                return None, "token_already_used"
            if row[1] < now:
                return None, "token_expired"
            self._exec(
                "UPDATE qr_tokens SET used_at = ? WHERE token_hash = ?", (now, _digest(token))
            )
        return row[0], "ok"

    def add_verification(
        self, verification_id: str, terminal_id: str, resident_hash: str, expires_at: float
    ) -> None:
        with self._tx():
            self._exec("DELETE FROM verifications WHERE expires_at < ?", (time.time(),))
            self._exec(
                "INSERT INTO verifications (id_hash, terminal_id, resident_hash, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (_digest(verification_id), terminal_id, resident_hash, expires_at),
            )

    def verified_resident(
        self, verification_id: str, terminal_id: str, now: float | None = None
    ) -> str | None:
        """The resident_hash a live verification of this terminal vouches for, else None."""
        now = time.time() if now is None else now
        with self._lock:
            row = self._exec(
                "SELECT resident_hash FROM verifications WHERE id_hash = ? AND terminal_id = ? "
                "AND expires_at >= ?",
                (_digest(verification_id), terminal_id, now),
            ).fetchone()
        return row[0] if row else None

    # --- certificates -------------------------------------------------------------------

    def add_certificate(self, record: dict[str, str], pdf: bytes) -> None:
        names = ", ".join(CERTIFICATE_FIELDS)
        marks = ", ".join("?" * (len(CERTIFICATE_FIELDS) + 1))
        with self._tx():
            self._exec(
                f"INSERT INTO certificates ({names}, pdf) VALUES ({marks})",
                [record[name] for name in CERTIFICATE_FIELDS] + [pdf],
            )

    def certificate(self, code: str) -> dict[str, str] | None:
        """What was issued under a verification code (without the PDF), or None."""
        with self._lock:
            row = self._exec(
                f"SELECT {', '.join(CERTIFICATE_FIELDS)} FROM certificates WHERE code = ?", (code,)
            ).fetchone()
        return None if row is None else dict(zip(CERTIFICATE_FIELDS, row, strict=True))

    # --- phone uploads ------------------------------------------------------------------

    def add_upload_session(self, session_id: str, token: str, terminal_id: str,
                           service_code: str, materials: list[str], expires_at: float) -> None:  # fmt: skip
        with self._tx():
            self._exec(
                "INSERT INTO upload_sessions (id, token_hash, terminal_id, service_code, materials,"
                " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, _digest(token), terminal_id, service_code,
                 json.dumps(materials, ensure_ascii=False), time.time(), expires_at),
            )  # fmt: skip

    def upload_session(self, *, token: str | None = None, session_id: str | None = None
                       ) -> dict[str, Any] | None:  # fmt: skip
        names = ("id", "terminal_id", "service_code", "materials", "expires_at", "phone_hash",
                 "closed_at")  # fmt: skip
        where, value = ("token_hash", _digest(token)) if token else ("id", session_id)
        with self._lock:
            row = self._exec(
                f"SELECT {', '.join(names)} FROM upload_sessions WHERE {where} = ?", (value,)
            ).fetchone()
        if row is None:
            return None
        found = dict(zip(names, row, strict=True))
        found["materials"] = json.loads(found["materials"])
        return found

    def bind_upload_phone(self, session_id: str, phone_secret: str) -> bool:
        """The first phone to open the QR code owns the session; False for any other."""
        with self._tx():
            cur = self._exec(
                "UPDATE upload_sessions SET phone_hash = ? WHERE id = ? AND phone_hash IS NULL",
                (_digest(phone_secret), session_id),
            )
            if cur.rowcount == 1:
                return True
            row = self._exec(
                "SELECT phone_hash FROM upload_sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return row is not None and row[0] == _digest(phone_secret)

    def add_upload(self, upload_id: str, session_id: str, material: str, content_type: str,
                   data: bytes, sha256: str, max_files: int) -> bool:  # fmt: skip
        """Store one file unless the session already holds max_files; False if it does."""
        with self._tx():
            count = self._exec(
                "SELECT COUNT(*) FROM uploads WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            if int(count) >= max_files:
                return False
            self._exec(
                "INSERT INTO uploads (id, session_id, material, content_type, size, sha256, data,"
                " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (upload_id, session_id, material, content_type, len(data), sha256, data,
                 time.time()),
            )  # fmt: skip
        return True

    def uploads(self, session_id: str) -> list[dict[str, Any]]:
        names = ("id", "material", "content_type", "size", "sha256", "received_at",
                 "application_key")  # fmt: skip
        with self._lock:
            rows = self._exec(
                f"SELECT {', '.join(names)} FROM uploads WHERE session_id = ? "
                "ORDER BY received_at, id",
                (session_id,),
            ).fetchall()
        return [dict(zip(names, r, strict=True)) for r in rows]

    def upload_data(self, upload_id: str) -> tuple[str, str, bytes] | None:
        """(session_id, content_type, bytes) of one upload."""
        with self._lock:
            row = self._exec(
                "SELECT session_id, content_type, data FROM uploads WHERE id = ?", (upload_id,)
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), bytes(row[2]))

    def attach_uploads(self, application_key: str, upload_ids: list[str], terminal_id: str) -> int:
        """Link uploads to the application that carries them, once: a repeat links nothing
        new. Only uploads of sessions this terminal opened. Returns how many were linked."""
        linked = 0
        with self._tx():
            for upload_id in upload_ids:
                cur = self._exec(
                    "UPDATE uploads SET application_key = ? WHERE id = ? AND application_key IS NULL"
                    " AND session_id IN (SELECT id FROM upload_sessions WHERE terminal_id = ?)",
                    (application_key, upload_id, terminal_id),
                )
                linked += cur.rowcount
        return linked

    def uploads_of_application(self, application_key: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._exec(
                "SELECT id, material, sha256, size FROM uploads WHERE application_key = ?",
                (application_key,),
            ).fetchall()
        return [dict(zip(("id", "material", "sha256", "size"), r, strict=True)) for r in rows]

    def add_materials(self, application_key: str, files: Sequence[Any]) -> None:
        """Materials sealed with an application (kiosk.offline.attachments.Attachment), once:
        the primary key makes a second store of the same application a no-op."""
        import hashlib

        with self._tx():
            for position, item in enumerate(files):
                self._exec(
                    "INSERT INTO materials (application_key, position, name, content_type, size,"
                    " sha256, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (application_key, position) DO NOTHING",
                    (application_key, position, item.name, item.content_type, len(item.data),
                     hashlib.sha256(item.data).hexdigest(), item.data),
                )  # fmt: skip

    def materials_of(self, application_key: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._exec(
                "SELECT name, content_type, size, sha256 FROM materials WHERE application_key = ?"
                " ORDER BY position",
                (application_key,),
            ).fetchall()
        return [dict(zip(("name", "content_type", "size", "sha256"), r, strict=True)) for r in rows]

    def certificate_pdf(self, code: str) -> bytes | None:
        with self._lock:
            row = self._exec("SELECT pdf FROM certificates WHERE code = ?", (code,)).fetchone()
        return None if row is None else bytes(row[0])


def _digest(secret: str) -> str:
    """How a bearer secret (QR token, verification id) is kept: a leaked table gives nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _as_repeat(first: dict[str, Any]) -> dict[str, Any]:
    """How a repeat is reported: accepted becomes duplicate; a rejection stays a rejection."""
    again = dict(first)
    if again["status"] == "accepted":
        again["status"] = "duplicate"
    return again
