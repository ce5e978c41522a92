"""The durable, encrypted outbox: everything a resident submits lands here first.

One SQLite file in WAL mode with synchronous=FULL: `enqueue` returns only after the item is
committed and synced, so a receipt printed after it survives a power cut. Personal data is
sealed to the platform's public key (kiosk.offline.crypto) with the idempotency key bound in,
so the terminal itself cannot read it back. Nothing here talks to the network; see sync.py.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from kiosk.offline.attachments import Attachment, pack
from kiosk.offline.checkpoint import Checkpointer, checkpoint
from kiosk.offline.crypto import PublicKey, seal
from kiosk.offline.recovery import RecoveryReport, counters_behind, recover, repair_counters
from kiosk.offline.refs import format_local_ref, normalise_local_ref
from kiosk.offline.reserve import DiskReserve, default_reserve_bytes
from kiosk.offline.schema import ITEM_COLUMNS, SCHEMA, SCHEMA_VERSION
from kiosk.privacy import scrub

log = logging.getLogger(__name__)

KINDS = ("application", "rating", "ticket", "audit")
_WIRE_OVERHEAD = 400  # JSON keys, key, local_ref, timestamps of one item on the wire
# One item travels in one batch request (8 MiB, the sealed blob as base64 in it): 5 MiB of
# plaintext is its ceiling. The whole queue is bounded too, so materials cannot fill the disk
# that the outbox needs for the applications themselves.
MAX_ITEM_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
# integrity_check reads every page: bounded so a large backlog cannot hold the start; past
# the budget, quick_check's verdict stands (and enqueue still repairs its own counters).
INTEGRITY_BUDGET_S = 3.0
_APPLY_CHUNK = 100  # platform answers applied per transaction


class OutboxError(Exception):
    """Base class for outbox problems; the message is meant for staff and technicians."""


class OutboxCorrupt(OutboxError):
    """The database at `path` is damaged (moved aside to `moved_to`) or expected but missing."""

    def __init__(self, path: Path, detail: str, moved_to: Path | None = None) -> None:
        self.path = path
        self.moved_to = moved_to
        self.detail = detail
        where = f"; the damaged file was moved to {moved_to}" if moved_to else ""
        super().__init__(
            f"outbox database {path}: {detail}{where}. Queued items may be lost; "
            "start with a fresh outbox only after saving that file for recovery."
        )


class OutboxMissing(OutboxCorrupt):
    """The database was created before (marker file present) but the file is gone."""


class OutboxFull(OutboxError):
    """The disk is full: the item was NOT stored (nothing half-written)."""


class OutboxItemTooLarge(OutboxError):
    """One item (an application with its materials) over the per-item budget: not stored."""


class OutboxNoKey(OutboxError):
    """No platform public key: personal data is never stored unencrypted."""


@dataclass(frozen=True)
class EnqueueReceipt:
    key: str
    local_ref: str
    seq: int


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    kind: str
    stream: str
    seq: int
    local_ref: str
    created_at: float
    attempts: int
    next_attempt_at: float
    last_error: str | None
    size: int
    display: dict[str, Any]
    kid: str
    sealed: bytes = field(repr=False)

    def to_wire(self) -> dict[str, Any]:
        """The item as POST /v1/outbox/batch expects it; `attempt` > 0 marks a resend."""
        return {
            "key": self.key,
            "kind": self.kind,
            "stream": self.stream,
            "seq": self.seq,
            "local_ref": self.local_ref,
            "created_at": iso_utc(self.created_at),
            "attempt": self.attempts,
            "display": self.display,
            "sealed": {"kid": self.kid, "blob": base64.b64encode(self.sealed).decode("ascii")},
        }


@dataclass(frozen=True)
class DeadLetter:
    key: str
    local_ref: str
    kind: str
    stream: str
    seq: int
    created_at: float
    attempts: int
    reason: str
    dead_at: float
    display: dict[str, Any]


@dataclass(frozen=True)
class Lookup:
    local_ref: str
    key: str
    state: str  # "pending" | "delivered" | "dead_letter" | "discarded"
    kind: str
    created_at: float | None
    reference: str | None = None  # the platform's reference once delivered
    reason: str | None = None  # dead-letter or discard reason
    attempts: int | None = None
    last_error: str | None = None
    display: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutboxStats:
    depth: int
    bytes: int
    oldest_created_at: float | None
    oldest_age_s: float | None
    dead_letters: int
    delivered_kept: int
    last_sync_at: float | None
    last_sync_result: str | None  # "ok" | "offline" | "auth" | "bad_response" | ...
    last_error: str | None
    last_success_at: float | None


def iso_utc(ts: float) -> str:
    return (
        dt.datetime.fromtimestamp(ts, dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def new_transaction_key() -> str:
    """The idempotency key, made when the resident's transaction starts; UI retries reuse it."""
    return str(uuid.uuid4())


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if isinstance(exc, sqlite3.Error):
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        return "disk is full" in str(exc)
    return False


def _scrub_display(value: Any) -> Any:
    """Last line of defence: display fields are meant to be masked already."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {str(k): _scrub_display(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_display(v) for v in value]
    return value


class Outbox:
    """Thread-safe: the UI thread enqueues while the sync thread drains (one connection, a lock)."""

    new_transaction_key = staticmethod(new_transaction_key)

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        public_key: PublicKey | None,
        terminal_id: str,
        clock: Callable[[], float],
        checkpoint_interval_s: float,
        reserve_bytes: int = 0,
    ) -> None:
        self.path = path
        self._conn = conn
        self._closed = False  # the connection stays bound after close, so no use can find None
        self._public_key = public_key
        self._terminal_id = terminal_id
        self._clock = clock
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self._checkpointer: Checkpointer | None = None
        self.recovery: RecoveryReport | None = None  # set when open() rebuilt a damaged file
        # The drain reads its batches here (WAL: readers never wait for the writer).
        self._reader = sqlite3.connect(
            str(path), timeout=5.0, isolation_level=None, check_same_thread=False
        )
        self._read_lock = threading.Lock()
        self._reserve = DiskReserve(_reserve_path(path), reserve_bytes)
        self.max_item_bytes = MAX_ITEM_BYTES  # one sealed item, materials included
        self.max_total_bytes = MAX_TOTAL_BYTES  # everything queued (0: no limit but the disk)
        self._reserve.ensure()
        if checkpoint_interval_s > 0:
            self._checkpointer = Checkpointer(path, checkpoint_interval_s, on_full=self._on_full)
            self._checkpointer.start()

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        public_key: PublicKey | None,
        *,
        terminal_id: str = "KIOSK-DEMO-0001",
        clock: Callable[[], float] = time.time,
        start_fresh: bool = False,
        busy_timeout_s: float = 5.0,
        checkpoint_interval_s: float = 1.0,
        reserve_bytes: int | None = None,
        integrity_budget_s: float = INTEGRITY_BUDGET_S,
    ) -> Outbox:
        """Open (or create) the outbox at `path`.

        A damaged file (quick_check, or integrity_check within `integrity_budget_s`, finds a
        fault: a torn copy passes the first and fails the second) is moved aside to
        `<path>.corrupt-<timestamp>` and what can be read of it is recovered into a new outbox
        at `path` (`outbox.recovery` then says what was carried over and what was lost).
        Raises OutboxCorrupt only when that recovery fails, and OutboxMissing when a database
        created earlier is gone; the caller decides whether to retry with `start_fresh=True`. `public_key=None` opens
        the outbox for draining and inspection only: `enqueue` then raises OutboxNoKey.
        `reserve_bytes` (default: see kiosk.offline.reserve) is kept preallocated beside the
        database and given up only so that syncing can drain a full disk.
        """
        path = Path(path)
        marker = _marker(path)
        if not path.exists() and marker.exists() and not start_fresh:
            raise OutboxMissing(
                path,
                f"missing, but an outbox was created here on {marker.read_text().strip() or '?'}",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        recovery: RecoveryReport | None = None
        try:
            conn = _connect(path, busy_timeout_s, integrity_budget_s)
        except (sqlite3.DatabaseError, _Damaged) as exc:
            if _is_full(exc):
                raise OutboxFull(f"outbox database {path}: disk full at open ({exc})") from exc
            if not _is_damage(exc):  # busy, locked, I/O: transient; never move a live file
                raise OutboxError(f"outbox database {path}: cannot open ({exc})") from exc
            if isinstance(exc, _Foreign):  # a wrong path: leave that file alone
                raise OutboxCorrupt(path, str(exc)) from exc
            moved = _move_aside(path)
            if moved is None:
                raise OutboxCorrupt(path, f"damaged ({exc})", moved) from exc
            # Kept aside; what can be read goes into a new outbox now, so nothing readable
            # waits for staff and enqueue works at once.
            try:
                conn = _connect(path, busy_timeout_s, 0)
                recovery = recover(moved, conn, str(exc))
            except (sqlite3.Error, OSError) as again:
                raise OutboxCorrupt(
                    path, f"damaged ({exc}); recovery failed ({again})", moved
                ) from again
        if not marker.exists():
            marker.write_text(iso_utc(time.time()) + "\n")
        if reserve_bytes is None:
            reserve_bytes = default_reserve_bytes(path.parent)
        if recovery is None and counters_behind(conn):  # a restored or torn copy
            log.error("outbox reference counter is behind its items: repaired at open")
            conn.execute("BEGIN IMMEDIATE")
            repair_counters(conn)
            conn.execute("COMMIT")
        box = cls(path, conn, public_key, terminal_id, clock, checkpoint_interval_s, reserve_bytes)
        box.recovery = recovery
        return box

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._read_lock:
            self._reader.close()
        with self._lock:
            if not self._closed:
                checkpoint(self._conn, "TRUNCATE")
                self._conn.close()
                self._closed = True

    stop = close

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Called (from the enqueuing thread) after each new item; the sync worker wakes up."""
        self._listeners.append(callback)

    @property
    def can_enqueue(self) -> bool:
        return self._public_key is not None

    # ---- enqueue ---------------------------------------------------------------------------

    def enqueue(
        self,
        key: str,
        kind: str,
        stream: str,
        display: Mapping[str, Any],
        personal: Mapping[str, Any],
        attachments: Sequence[Attachment] = (),
    ) -> EnqueueReceipt:
        """Store one item durably (committed and synced before this returns).

        The same key again (a UI retry) returns the first receipt and stores nothing.
        `attachments` (materials: photos, PDFs) are sealed with the item as binary; an item
        over the per-item budget, or one the outbox's total budget cannot hold, is refused
        with OutboxItemTooLarge / OutboxFull before anything is written.
        """
        key = _canonical_key(key)
        with self._lock:
            found = self._receipt_for(key)
        if found is not None:  # a UI retry: no sealing, no write
            return found
        return self.enqueue_many([(key, kind, stream, display, personal)],
                                 attachments={key: tuple(attachments)})[0]  # fmt: skip

    def enqueue_many(
        self,
        items: Iterable[tuple[str, str, str, Mapping[str, Any], Mapping[str, Any]]],
        attachments: Mapping[str, Sequence[Attachment]] | None = None,
    ) -> list[EnqueueReceipt]:
        """Group commit: (key, kind, stream, display, personal) tuples in ONE durable transaction.

        For bursts of small items (audit events, imports); all or nothing. Keys already known
        return their first receipt, as with enqueue.
        """
        if self._public_key is None:
            raise OutboxNoKey(
                "no platform public key configured: personal data is never queued unencrypted "
                "(set platform.public_key_file or use the built-in platform)"
            )
        prepared = []
        for key, kind, stream, display, personal in items:
            key = _canonical_key(key)
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
            if not stream or len(stream) > 128:
                raise ValueError("stream must be 1..128 characters")
            plaintext = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
            files = (attachments or {}).get(key, ())
            if files:
                plaintext = pack(plaintext, tuple(files))
            if len(plaintext) > self.max_item_bytes:
                raise OutboxItemTooLarge(
                    f"the item with its materials is {_mib(len(plaintext))}; one item may hold "
                    f"at most {_mib(self.max_item_bytes)}. Nothing was stored: retake the "
                    "materials with fewer pages or leave some for the counter"
                )
            sealed = seal(self._public_key, plaintext, bind=key)
            display_json = json.dumps(
                _scrub_display(display), ensure_ascii=False, separators=(",", ":")
            )
            size = _WIRE_OVERHEAD + len(display_json.encode()) + 4 * ((len(sealed.blob) + 2) // 3)
            prepared.append((key, kind, stream, display_json, sealed, size))
        now = self._clock()
        receipts = []
        self._check_total_budget(sum(p[5] for p in prepared))
        if not self._reserve.held and not self._reserve.ensure():
            raise OutboxFull(
                f"outbox disk full ({self.path.parent}): the item was not stored; the space "
                "left is kept for sending what is queued. Free space, then try again"
            )
        try:
            receipts = self._store(prepared, now)
        except sqlite3.IntegrityError as exc:
            if "local_ref" not in str(exc):
                raise OutboxError(
                    f"outbox database {self.path}: cannot store the items ({exc})"
                ) from exc
            # The reference counter is behind the stored references (a restored or torn
            # copy): move it past them once, instead of failing every enqueue from now on.
            log.error("outbox reference counter was behind its items (%s): repaired", exc)
            self._draining(self._repair_counters, "cannot repair the counters")
            try:
                receipts = self._store(prepared, now)
            except sqlite3.IntegrityError as again:
                raise OutboxError(
                    f"outbox database {self.path}: cannot store the items ({again})"
                ) from again
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("outbox listener failed")
        return receipts

    def _check_total_budget(self, adding: int) -> None:
        """Refuse (before writing) what would take the queued items past max_total_bytes."""
        if self.max_total_bytes <= 0:
            return
        with self._lock:
            queued = int(
                self._conn.execute("SELECT COALESCE(SUM(size), 0) FROM outbox").fetchone()[0]
            )
        if queued + adding > self.max_total_bytes:
            raise OutboxFull(
                f"the outbox holds {_mib(queued)} waiting to be sent and may hold at most "
                f"{_mib(self.max_total_bytes)}; this item ({_mib(adding)}) was not stored. "
                "It is stored once the network takes the queue down"
            )

    def _store(self, prepared: list[Any], now: float) -> list[EnqueueReceipt]:
        """One durable transaction for the sealed items; IntegrityError is the caller's."""
        receipts = []
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                for key, kind, stream, display_json, sealed, size in prepared:
                    found = self._receipt_for(key)  # another process may have stored it
                    if found is not None:
                        receipts.append(found)
                        continue
                    counter = self._bump_counter()
                    seq = self._bump_seq(stream)
                    local_ref = format_local_ref(self._terminal_id, counter, now)
                    conn.execute(
                        "INSERT INTO outbox(key, kind, stream, seq, local_ref, created_at, attempts,"
                        " next_attempt_at, size, display, kid, sealed)"
                        " VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?)",
                        (
                            key,
                            kind,
                            stream,
                            seq,
                            local_ref,
                            now,
                            size,
                            display_json,
                            sealed.kid,
                            sealed.blob,
                        ),
                    )
                    receipts.append(EnqueueReceipt(key, local_ref, seq))
                conn.execute("COMMIT")
            except sqlite3.IntegrityError:
                self._rollback()
                raise
            except (sqlite3.Error, OSError) as exc:
                self._rollback()
                if _is_full(exc):
                    raise OutboxFull(
                        f"outbox disk full ({self.path.parent}): the item was not stored; "
                        "free space or sync the backlog, then try again"
                    ) from exc
                raise OutboxError(
                    f"outbox database {self.path}: cannot store the items ({exc})"
                ) from exc
        return receipts

    def _repair_counters(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        repair_counters(self._conn)
        self._conn.execute("COMMIT")

    def _receipt_for(self, key: str) -> EnqueueReceipt | None:
        for table in ("outbox", "dead_letter", "delivered"):
            row = self._conn.execute(
                f"SELECT local_ref, seq FROM {table} WHERE key = ?", (key,)
            ).fetchone()
            if row:
                return EnqueueReceipt(key, row[0], row[1])
        row = self._conn.execute(
            "SELECT local_ref, seq FROM audit WHERE key = ? AND action = 'discard' LIMIT 1", (key,)
        ).fetchone()
        return EnqueueReceipt(key, row[0], row[1]) if row else None

    def _bump_counter(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'ref_counter'").fetchone()
        counter = (int(row[0]) if row else 0) + 1
        self._conn.execute(
            "INSERT INTO meta(name, value) VALUES ('ref_counter', ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (str(counter),),
        )
        return counter

    def _bump_seq(self, stream: str) -> int:
        row = self._conn.execute(
            "INSERT INTO streams(stream, last_seq) VALUES (?, 1)"
            " ON CONFLICT(stream) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
            (stream,),
        ).fetchone()
        return int(row[0])

    def _db_error(self, exc: sqlite3.Error, what: str) -> OutboxError:
        if _is_full(exc):
            return OutboxFull(f"outbox disk full ({self.path.parent}): {what}; free space")
        return OutboxError(f"outbox database {self.path}: {what} ({exc})")

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (FULL)
            self._conn.execute("ROLLBACK")

    # ---- draining --------------------------------------------------------------------------

    def next_batch(
        self, max_items: int, max_bytes: int, now: float | None = None
    ) -> list[OutboxItem]:
        """The next items to send, oldest first, at most max_items and about max_bytes.

        An item is eligible when it is due and no earlier item of its stream is backing off,
        so per-stream order holds. Rows are read with LIMIT and streamed; at least one item is
        returned even if it alone is larger than max_bytes.
        """
        now = self._clock() if now is None else now
        items: list[OutboxItem] = []
        total = 0
        # On the reader connection: reading a batch of 1000 never holds up a resident's enqueue.
        with self._read_lock:
            cur = self._reader.execute(
                f"SELECT {ITEM_COLUMNS} FROM outbox AS o"
                " WHERE o.next_attempt_at <= :now AND NOT EXISTS ("
                "   SELECT 1 FROM outbox AS p"
                "   WHERE p.stream = o.stream AND p.id < o.id AND p.next_attempt_at > :now)"
                " ORDER BY o.id LIMIT :limit",
                {"now": now, "limit": max_items},
            )
            try:
                for row in cur:
                    if items and total + row[10] > max_bytes:
                        break
                    items.append(_item(row))
                    total += row[10]
            finally:
                cur.close()
        return items

    def next_due_at(self, now: float | None = None) -> float | None:
        """The earliest future retry time (when the next blocked item becomes due), if any."""
        now = self._clock() if now is None else now
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(next_attempt_at) FROM outbox"
                " WHERE next_attempt_at > 0 AND next_attempt_at > ?",  # the partial index
                (now,),
            ).fetchone()
        return row[0] if row else None

    def mark_sending(self, keys: Iterable[str]) -> None:
        """Count an attempt before the send, so a resend after a crash is marked as one."""
        self._write_many(
            "UPDATE outbox SET attempts = attempts + 1 WHERE key = ?", [(k,) for k in keys]
        )

    def mark_delivered(
        self, results: Iterable[Mapping[str, Any]], now: float | None = None
    ) -> dict[str, int]:
        """Apply the platform's per-item answers in one transaction.

        accepted/duplicate: the item leaves the outbox; only (key, local_ref, reference) is kept
        for lookups. rejected: the item moves to the dead letters with the platform's reason.
        Other answers leave the item queued. Returns counts per outcome.
        """
        now = self._clock() if now is None else now
        results = list(results)
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0, "ignored": 0}
        try:
            # A hundred per transaction: a resident's enqueue waits for one of them at most.
            for start in range(0, len(results), _APPLY_CHUNK):
                chunk = results[start : start + _APPLY_CHUNK]
                self._draining(
                    partial(self._apply_results, chunk, now, counts), "cannot record results"
                )
        except OutboxFull:
            # Even the reserve is too small for the whole batch: one item per transaction,
            # each followed by a truncating checkpoint, so the WAL never holds more than one.
            for start in range(sum(counts.values()), len(results)):
                chunk = results[start : start + 1]
                self._draining(
                    partial(self._apply_results, chunk, now, counts), "cannot record results"
                )
                with self._lock:
                    checkpoint(self._conn, "TRUNCATE")
        self._reserve.ensure()  # back once the drain made room (a statvfs when missing)
        return counts

    def _apply_results(
        self, results: list[Mapping[str, Any]], now: float, counts: dict[str, int]
    ) -> None:
        conn = self._conn
        done = dict.fromkeys(counts, 0)
        conn.execute("BEGIN IMMEDIATE")
        for result in results:
            key = str(result.get("key", ""))
            status = result.get("status")
            if status in ("accepted", "duplicate"):
                moved = conn.execute(
                    "INSERT OR REPLACE INTO delivered(key, local_ref, kind, stream, seq, status,"
                    " reference, created_at, delivered_at)"
                    " SELECT key, local_ref, kind, stream, seq, ?, ?, created_at, ?"
                    " FROM outbox WHERE key = ?",
                    (status, _short(result.get("reference"), 64), now, key),
                ).rowcount
                conn.execute("DELETE FROM outbox WHERE key = ?", (key,))
                done[status if moved else "ignored"] += 1
            elif status == "rejected":
                reason = _short(result.get("reason"), 500) or "rejected by the platform"
                done["rejected" if self._dead_letter(key, reason, now) else "ignored"] += 1
            else:
                done["ignored"] += 1
        conn.execute("COMMIT")
        for name, n in done.items():  # only once committed
            counts[name] += n

    def checkpoint_now(self) -> None:
        """Move the WAL into the database now and truncate it (bulk loads, benchmarks)."""
        with self._lock:
            checkpoint(self._conn, "TRUNCATE", self._on_full)

    def drained(self) -> None:
        """The drain paused (nothing due): truncate the WAL once, which also drops the
        delivered items' old ciphertext from it (not after every batch: that costs a sync)."""
        if self._checkpointer is not None:
            self._checkpointer.request_truncate()

    def mark_retry(
        self,
        keys: Iterable[str],
        error: str,
        next_at: float,
        clock_mark: tuple[float, float] | None = None,
    ) -> None:
        """Items wait until `next_at` on the retry clock (kiosk.offline.retry_clock), whose
        current (value, wall time) `clock_mark` is saved in the same transaction."""
        error = _short(scrub(error), 500)
        extra = []
        if clock_mark is not None:
            extra.append((
                "INSERT INTO meta(name, value) VALUES ('retry_clock', ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (f"{clock_mark[0]!r} {clock_mark[1]!r}",),
            ))  # fmt: skip
        self._write_many(
            "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE key = ?",
            [(next_at, error, k) for k in keys],
            extra,
        )

    def release_waiting(self) -> None:
        """Every item backing off becomes due now (the cause is gone, e.g. the clock is right)."""
        self._write_many("", [], [("UPDATE outbox SET next_attempt_at = 0", ())])

    def retry_clock_mark(self) -> tuple[float, float] | None:
        """The retry clock's (value, wall time) as last saved, for RetryClock at start."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE name = 'retry_clock'").fetchone()
        parts = str(row[0]).split() if row else []
        try:
            return (float(parts[0]), float(parts[1])) if len(parts) == 2 else None
        except ValueError:
            return None

    def move_to_dead_letter(self, key: str, reason: str, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        moved = [False]

        def write() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            moved[0] = self._dead_letter(key, _short(scrub(reason), 500), now)
            self._conn.execute("COMMIT")

        self._draining(write, "write failed")
        return moved[0]

    def _dead_letter(self, key: str, reason: str, now: float) -> bool:
        moved = self._conn.execute(
            "INSERT INTO dead_letter(id, key, kind, stream, seq, local_ref, created_at, attempts,"
            " last_error, size, reason, dead_at, display, kid, sealed)"
            " SELECT id, key, kind, stream, seq, local_ref, created_at, attempts, last_error, size,"
            " ?, ?, display, kid, sealed FROM outbox WHERE key = ?",
            (reason, now, key),
        ).rowcount
        self._conn.execute("DELETE FROM outbox WHERE key = ?", (key,))
        return bool(moved)

    def _write_many(
        self,
        sql: str,
        params: list[tuple[Any, ...]],
        extra: Sequence[tuple[str, tuple[Any, ...]]] = (),
    ) -> None:
        """One transaction; for the drain's bookkeeping, so a full disk gives up the reserve."""
        if not params and not extra:
            return

        def write() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            if params:
                self._conn.executemany(sql, params)
            for statement, args in extra:
                self._conn.execute(statement, args)
            self._conn.execute("COMMIT")

        self._draining(write, "write failed")

    def _draining(self, write: Callable[[], None], what: str) -> None:
        """Run a drain-side transaction; on a full disk free the reserve and try once more.

        Drain bookkeeping commits with synchronous=NORMAL: still atomic, durable across a
        crash, and a power cut can only roll it back, which means a resend the platform
        answers as a duplicate. Only enqueue (a resident's receipt) pays for FULL's sync."""
        with self._lock:
            self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                for attempt in (1, 2):
                    try:
                        write()
                        return
                    except sqlite3.Error as exc:
                        self._rollback()
                        if attempt == 1 and _is_full(exc) and self._on_full():
                            continue
                        raise self._db_error(exc, what) from exc
            finally:
                self._conn.execute("PRAGMA synchronous=FULL")

    def _on_full(self) -> bool:
        """The disk is full while draining: give up the reserve and shrink the WAL.

        Returns whether anything was freed. The reserve comes back once space allows."""
        freed = self._reserve.release()
        if freed:
            log.warning("outbox disk full: released the %d byte reserve to drain", freed)
        with self._lock:
            if not self._closed:
                done = checkpoint(self._conn, "TRUNCATE")
                freed = freed or (done is not None and done[0] == 0)
        return bool(freed)

    # ---- dead letters (staff) ----------------------------------------------------------------

    def dead_letters(self, limit: int = 100, offset: int = 0) -> list[DeadLetter]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, local_ref, kind, stream, seq, created_at, attempts, reason, dead_at,"
                " display FROM dead_letter ORDER BY id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [
            DeadLetter(
                key=row[0],
                local_ref=row[1],
                kind=row[2],
                stream=row[3],
                seq=row[4],
                created_at=row[5],
                attempts=row[6],
                reason=row[7],
                dead_at=row[8],
                display=json.loads(row[9]),
            )  # fmt: skip
            for row in rows
        ]

    def retry_dead_letter(self, key: str, actor: str = "staff") -> bool:
        """Put a dead letter back in the queue (its original place in its stream)."""
        key = _canonical_key(key)
        now = self._clock()
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                row = conn.execute(
                    "SELECT local_ref, stream, seq FROM dead_letter WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute(
                    "INSERT INTO outbox(id, key, kind, stream, seq, local_ref, created_at, attempts,"
                    " next_attempt_at, last_error, size, display, kid, sealed)"
                    " SELECT id, key, kind, stream, seq, local_ref, created_at, attempts, 0,"
                    " reason, size, display, kid, sealed FROM dead_letter WHERE key = ?",
                    (key,),
                )
                conn.execute("DELETE FROM dead_letter WHERE key = ?", (key,))
                self._audit(now, "retry", key, row, "", actor)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._db_error(exc, "write failed") from exc
        for callback in list(self._listeners):
            callback()
        return True

    def discard_dead_letter(self, key: str, reason: str, actor: str = "staff") -> bool:
        """Delete a dead letter for good; the discard and its reason go to the audit table."""
        key = _canonical_key(key)
        reason = _short(scrub(reason.strip()), 500)
        if not reason:
            raise ValueError("a reason is required to discard a dead letter")
        now = self._clock()
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                row = conn.execute(
                    "SELECT local_ref, stream, seq FROM dead_letter WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute("DELETE FROM dead_letter WHERE key = ?", (key,))
                self._audit(now, "discard", key, row, reason, actor)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._db_error(exc, "write failed") from exc
        if self._checkpointer is not None:
            self._checkpointer.request_truncate()
        return True

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT at, action, key, local_ref, reason, actor FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        names = ("at", "action", "key", "local_ref", "reason", "actor")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _audit(
        self, now: float, action: str, key: str, row: tuple[Any, ...], reason: str, actor: str
    ) -> None:
        self._conn.execute(
            "INSERT INTO audit(at, action, key, local_ref, stream, seq, reason, actor)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now, action, key, row[0], row[1], row[2], reason, _short(actor, 64)),
        )

    # ---- inspection ---------------------------------------------------------------------------

    def lookup(self, local_ref: str) -> Lookup | None:
        """Where is the item with this printed reference? (pending, delivered, dead, discarded)"""
        ref = normalise_local_ref(local_ref)
        with self._lock:
            conn = self._conn
            row = conn.execute(
                "SELECT key, kind, created_at, attempts, last_error, display FROM outbox"
                " WHERE local_ref = ?",
                (ref,),
            ).fetchone()
            if row:
                return Lookup(
                    ref,
                    row[0],
                    "pending",
                    row[1],
                    row[2],
                    attempts=row[3],
                    last_error=row[4],
                    display=json.loads(row[5]),
                )
            row = conn.execute(
                "SELECT key, kind, created_at, reference FROM delivered WHERE local_ref = ?", (ref,)
            ).fetchone()
            if row:
                return Lookup(ref, row[0], "delivered", row[1], row[2], reference=row[3])
            row = conn.execute(
                "SELECT key, kind, created_at, reason, attempts, last_error, display FROM dead_letter"
                " WHERE local_ref = ?",
                (ref,),
            ).fetchone()
            if row:
                return Lookup(
                    ref,
                    row[0],
                    "dead_letter",
                    row[1],
                    row[2],
                    reason=row[3],
                    attempts=row[4],
                    last_error=row[5],
                    display=json.loads(row[6]),
                )
            row = conn.execute(
                "SELECT key, reason FROM audit WHERE local_ref = ? AND action = 'discard'"
                " ORDER BY id DESC LIMIT 1",
                (ref,),
            ).fetchone()
            if row:
                return Lookup(ref, row[0], "discarded", "", None, reason=row[1])
        return None

    def reference_for(self, key: str) -> str | None:
        """The platform's reference for a delivered item, else None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT reference FROM delivered WHERE key = ?", (key,)
            ).fetchone()
        return row[0] if row else None

    def pending_count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def dead_letter_count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0])

    def stats(self, now: float | None = None) -> OutboxStats:
        now = self._clock() if now is None else now
        with self._lock:
            conn = self._conn
            depth, size = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox"
            ).fetchone()
            oldest = conn.execute("SELECT created_at FROM outbox ORDER BY id LIMIT 1").fetchone()
            dead = conn.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0]
            kept = conn.execute("SELECT COUNT(*) FROM delivered").fetchone()[0]
            meta = dict(
                conn.execute("SELECT name, value FROM meta WHERE name LIKE 'sync_%'").fetchall()
            )
        oldest_at = oldest[0] if oldest else None

        def num(name: str) -> float | None:
            return float(meta[name]) if meta.get(name) else None

        return OutboxStats(
            depth=int(depth),
            bytes=int(size),
            oldest_created_at=oldest_at,
            oldest_age_s=None if oldest_at is None else max(0.0, now - oldest_at),
            dead_letters=int(dead),
            delivered_kept=int(kept),
            last_sync_at=num("sync_last_at"),
            last_sync_result=meta.get("sync_last_result") or None,
            last_error=meta.get("sync_last_error") or None,
            last_success_at=num("sync_last_success_at"),
        )

    def record_sync(self, result: str, error: str | None, at: float) -> None:
        """Persist the last sync outcome, so `kiosk outbox status` in another process sees it."""
        values = [
            ("sync_last_at", repr(at)),
            ("sync_last_result", result),
            ("sync_last_error", _short(scrub(error or ""), 500)),
        ]
        if result == "ok":
            values.append(("sync_last_success_at", repr(at)))
        self._write_many(
            "INSERT INTO meta(name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            values,
        )

    def purge(self, retention_s: float, now: float | None = None) -> int:
        """Forget delivered records older than the retention; returns how many went."""
        now = self._clock() if now is None else now
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                gone = self._conn.execute(
                    "DELETE FROM delivered WHERE delivered_at < ?", (now - retention_s,)
                ).rowcount
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._db_error(exc, "write failed") from exc
        if gone and self._checkpointer is not None:
            self._checkpointer.request_truncate()
        return gone

    def integrity_check(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._conn.execute("PRAGMA integrity_check").fetchall()]

    def pragma(self, name: str) -> Any:
        """Read back an effective PRAGMA (for diagnostics and tests)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(name)
        with self._lock:
            return self._conn.execute(f"PRAGMA {name}").fetchone()[0]

    def explain_next_batch(self) -> list[str]:
        """EXPLAIN QUERY PLAN of the batch query (tests check it never sorts the whole table)."""
        with self._lock:
            rows = self._conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM outbox AS o WHERE o.next_attempt_at <= 0"
                " AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.stream = o.stream"
                " AND p.id < o.id AND p.next_attempt_at > 0) ORDER BY o.id LIMIT 10"
            ).fetchall()
        return [row[-1] for row in rows]


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        key=row[1],
        kind=row[2],
        stream=row[3],
        seq=row[4],
        local_ref=row[5],
        created_at=row[6],
        attempts=row[7],
        next_attempt_at=row[8],
        last_error=row[9],
        size=row[10],
        display=json.loads(row[11]),
        kid=row[12],
        sealed=bytes(row[13]),
    )


def _canonical_key(key: str) -> str:
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        raise ValueError(f"idempotency key must be a UUID, got {key!r}") from None


def _short(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Damaged(Exception):
    """quick_check or integrity_check failed."""


class _Foreign(_Damaged):
    """Some other application's database: never moved, never rebuilt, only reported."""


def _is_damage(exc: BaseException) -> bool:
    if isinstance(exc, _Damaged):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _connect(path: Path, busy_timeout_s: float, integrity_budget_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise OutboxError(f"outbox database {path}: cannot use WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("PRAGMA secure_delete=ON")
        check = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if check != ["ok"]:
            raise _Damaged("quick_check: " + "; ".join(check[:3]))
        if integrity_budget_s > 0:
            deep = _bounded_integrity_check(conn, integrity_budget_s)
            if deep is not None and deep != ["ok"]:
                raise _Damaged("integrity_check: " + "; ".join(deep[:3]))
        _create_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _bounded_integrity_check(conn: sqlite3.Connection, budget_s: float) -> list[str] | None:
    """integrity_check, or None when it would take longer than `budget_s`."""
    deadline = time.monotonic() + budget_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        log.info(
            "outbox integrity_check skipped: longer than %.1f s (quick_check passed)", budget_s
        )
        return None
    finally:
        conn.set_progress_handler(None, 0)


def _create_schema(conn: sqlite3.Connection) -> None:
    """Atomically: another process opening the same new file sees all of the schema or none."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "outbox" not in tables:
            raise _Foreign("not an outbox database (it has other tables)")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT OR IGNORE INTO meta(name, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _reserve_path(path: Path) -> Path:
    return path.with_name(path.name + ".reserve")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".created")


def _move_aside(path: Path) -> Path | None:
    """Keep the damaged file (and its WAL) for recovery instead of silently starting empty."""
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    log.error("outbox database %s is damaged; moved to %s", path, target)
    return target
