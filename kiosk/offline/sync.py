"""The sync worker: drains the outbox to the platform in batches, in the background.

At-least-once on the wire, exactly-once at the platform: an item leaves the outbox only after
the platform's per-item answer (accepted or duplicate), in one transaction. Failures of the
link (network, 408, 429, 5xx, 401, garbage answers) keep the items and back off with full
jitter, never earlier than Retry-After; a malformed batch (400/422) is resent item by item so
only the bad items go to the dead letters. Nothing here blocks the UI: `state()` reads a
snapshot and the database, never the network.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.config import OutboxConfig
from kiosk.offline.backoff import next_delay
from kiosk.offline.outbox import Outbox, OutboxError, OutboxItem
from kiosk.platform.errors import (
    PlatformAuthError,
    PlatformBadResponse,
    PlatformError,
    PlatformRejected,
    PlatformUnavailable,
)
from kiosk.privacy import scrub

log = logging.getLogger(__name__)

_RESULT_STATUSES = ("accepted", "duplicate", "rejected")
_RECORD_EVERY_S = 5.0  # persist "last sync ok" at most this often while draining


class BatchClient(Protocol):
    def submit_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SyncState:
    status: str  # "online" | "offline" | "syncing"
    pending: int
    dead_letters: int
    last_error: str | None
    last_success_at: float | None
    next_attempt_at: float | None  # when the worker will try again after a failure


@dataclass(frozen=True)
class SyncProgress:
    done: int  # items answered by the platform in this run (delivered + dead-lettered)
    total: int  # done + what is still queued
    delivered: int
    dead_lettered: int


@dataclass
class SyncReport:
    delivered: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    batches: int = 0
    error: str | None = None
    pending: int = 0


@dataclass(frozen=True)
class Step:
    outcome: str  # "sent" | "idle" | "waiting" | "failed"
    delivered: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    error: str | None = None


class SyncWorker:
    def __init__(
        self,
        outbox: Outbox,
        client: BatchClient,
        config: OutboxConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
        on_state: Callable[[SyncState], None] | None = None,
        rng: random.Random | None = None,
        poll_interval_s: float = 5.0,
        purge_interval_s: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.config = config or OutboxConfig()
        self._clock = clock
        self._sleep = sleep or self._wait
        self._on_state = on_state
        self._rng = rng or random.Random()
        self._poll = poll_interval_s
        self._purge_every = purge_interval_s
        self._next_purge = 0.0
        self._send_lock = threading.Lock()  # one batch in flight, whoever asks
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._delivered = threading.Condition()
        self._failures = 0
        self._gate = 0.0  # no attempt before this time (backoff after a failed batch)
        self._last_recorded = 0.0
        stats = outbox.stats()
        self._status = "offline" if stats.last_sync_result not in (None, "ok") else "online"
        self._last_error = stats.last_error
        self._last_success_at = stats.last_success_at
        self._pending = stats.depth
        self._dead = stats.dead_letters
        outbox.add_listener(self.wake)

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="outbox-sync", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("outbox sync thread did not stop within %.0f s", timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _wait(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                step = self.run_once()
            except Exception:  # a database problem must not kill the worker
                log.exception("outbox sync step failed")
                step = Step("failed", error="internal error")
                self._sleep(self._poll)
                continue
            self._maybe_purge()
            if step.outcome == "sent" or self._stopping.is_set():
                continue
            now = self._clock()
            wake_at = now + self._poll
            if self._gate > now:
                wake_at = self._gate
            else:
                due = self.outbox.next_due_at(now)
                if due is not None:
                    wake_at = min(wake_at, due)
            self._sleep(max(0.01, wake_at - now))

    def _maybe_purge(self) -> None:
        now = self._clock()
        if now < self._next_purge:
            return
        self._next_purge = now + self._purge_every
        try:
            gone = self.outbox.purge(self.config.retention_days * 86400.0, now)
            if gone:
                log.info("purged %d delivered outbox records past retention", gone)
        except OutboxError:
            log.exception("outbox purge failed")

    # ---- what the UI and the CLI call ----------------------------------------------------

    def state(self) -> SyncState:
        """A snapshot for the UI; reads the local database, never the network."""
        try:
            self._pending = self.outbox.pending_count()
            self._dead = self.outbox.dead_letter_count()
        except OutboxError:
            pass
        now = self._clock()
        return SyncState(
            status=self._status,
            pending=self._pending,
            dead_letters=self._dead,
            last_error=self._last_error,
            last_success_at=self._last_success_at,
            next_attempt_at=self._gate if self._gate > now else None,
        )

    def wait_delivered(self, key: str, timeout: float) -> str | None:
        """After enqueue: the platform reference if the item is delivered within `timeout`.

        Returns None at once when the worker is backing off (offline): the receipt then shows
        the terminal's own local_ref.
        """
        self.wake()
        deadline = time.monotonic() + timeout
        with self._delivered:
            while True:
                reference = self.outbox.reference_for(key)
                if reference is not None:
                    return reference
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._gate > self._clock():
                    return None
                self._delivered.wait(min(remaining, 0.2))

    def sync_now(self, progress: Callable[[SyncProgress], None] | None = None) -> SyncReport:
        """Drain until the outbox is empty or the platform fails (CLI); ignores the backoff."""
        report = SyncReport()
        done = 0
        while not self._stopping.is_set():
            step = self.run_once(force=True)
            if step.outcome == "idle":
                break
            report.batches += 1
            report.delivered += step.delivered
            report.duplicates += step.duplicates
            report.dead_lettered += step.dead_lettered
            done += step.delivered + step.dead_lettered
            pending = self.outbox.pending_count()
            if progress:
                progress(SyncProgress(done, done + pending, report.delivered, report.dead_lettered))
            if step.outcome == "failed":
                report.error = step.error
                break
        report.pending = self.outbox.pending_count()
        return report

    # ---- one batch -----------------------------------------------------------------------

    def run_once(self, now: float | None = None, force: bool = False) -> Step:
        """Send at most one batch and apply the answers. `force` ignores backoff timers."""
        with self._send_lock:
            now = self._clock() if now is None else now
            if not force and now < self._gate:
                return Step("waiting")
            cfg = self.config
            batch = self.outbox.next_batch(
                cfg.batch_max_items, cfg.batch_max_bytes, float("inf") if force else now
            )
            if not batch:
                if self._status == "syncing":
                    self._set_status("online")
                if self._last_success_at and self._last_success_at > self._last_recorded:
                    self.outbox.record_sync("ok", None, self._last_success_at)
                    self._last_recorded = self._last_success_at
                return Step("idle")
            self._set_status("syncing")
            return self._send(batch, now)

    def _send(self, batch: Sequence[OutboxItem], now: float) -> Step:
        keys = [item.key for item in batch]
        self.outbox.mark_sending(keys)
        wire = [item.to_wire() for item in batch]
        if any(item.attempts for item in batch):
            log.info("resending %d outbox item(s) (repeat)", sum(1 for i in batch if i.attempts))
        try:
            results = self.client.submit_batch(wire)
        except PlatformRejected as exc:
            return self._isolate(batch, exc, now)
        except PlatformAuthError as exc:
            log.error(
                "PLATFORM REFUSED THE TERMINAL'S SIGNATURE (%s): check terminal id, secret and "
                "clock; %d item(s) stay queued",
                exc.reason,
                len(batch),
            )
            return self._later(batch, "auth", f"401 {exc.reason}", now)
        except PlatformUnavailable as exc:
            return self._later(batch, "offline", exc.reason, now, exc.retry_after)
        except PlatformBadResponse as exc:
            log.warning("platform answered a batch with a bad response: %s", exc.reason)
            return self._later(batch, "bad_response", exc.reason, now)
        except PlatformError as exc:
            return self._later(batch, "error", str(exc), now)
        except Exception as exc:  # a client bug must not lose or dead-letter items
            log.exception("platform client failed")
            return self._later(batch, "error", f"{type(exc).__name__}: {exc}", now)
        return self._apply(batch, results, now)

    def _apply(self, batch: Sequence[OutboxItem], results: Any, now: float) -> Step:
        wanted = {item.key for item in batch}
        answered: dict[str, Mapping[str, Any]] = {}
        if isinstance(results, list):
            for result in results:
                if (
                    isinstance(result, Mapping)
                    and result.get("key") in wanted
                    and result.get("status") in _RESULT_STATUSES
                ):
                    answered[str(result["key"])] = result
        counts = self.outbox.mark_delivered(list(answered.values()), now) if answered else {}
        with self._delivered:
            self._delivered.notify_all()
        step = Step(
            "sent",
            delivered=counts.get("accepted", 0) + counts.get("duplicate", 0),
            duplicates=counts.get("duplicate", 0),
            dead_lettered=counts.get("rejected", 0),
        )
        if step.dead_lettered:
            log.warning(
                "platform rejected %d outbox item(s): moved to dead letters", step.dead_lettered
            )
        missing = [item for item in batch if item.key not in answered]
        if missing:
            log.warning(
                "platform answered %d of %d items; the rest stay queued", len(answered), len(batch)
            )
            failed = self._later(missing, "bad_response", "no answer for some items", now)
            return dataclasses.replace(
                failed,
                delivered=step.delivered,
                duplicates=step.duplicates,
                dead_lettered=step.dead_lettered,
            )
        self._succeeded(now)
        return step

    def _isolate(self, batch: Sequence[OutboxItem], exc: PlatformRejected, now: float) -> Step:
        """The platform refused the batch as a whole: find the bad items by sending one by one."""
        if len(batch) == 1:
            reason = f"HTTP {exc.status}: {exc.code}"
            self.outbox.move_to_dead_letter(batch[0].key, reason, now)
            log.warning("platform refused an outbox item (%s): moved to dead letters", reason)
            self._succeeded(now)  # the platform is reachable; the item was the problem
            with self._delivered:
                self._delivered.notify_all()
            return Step("sent", dead_lettered=1)
        log.warning(
            "platform refused a batch of %d (HTTP %d); isolating the bad items",
            len(batch),
            exc.status,
        )
        total = Step("sent")
        for item in batch:
            retried = dataclasses.replace(item, attempts=item.attempts + 1)
            step = self._send([retried], now)
            total = Step(
                step.outcome if step.outcome == "failed" else "sent",
                total.delivered + step.delivered,
                total.duplicates + step.duplicates,
                total.dead_lettered + step.dead_lettered,
                step.error,
            )
            if step.outcome == "failed":
                return total  # the link failed meanwhile: the rest wait for the backoff
        return total

    def _later(
        self,
        batch: Sequence[OutboxItem],
        result: str,
        reason: str,
        now: float,
        retry_after: float | None = None,
    ) -> Step:
        self._failures += 1
        cfg = self.config
        delay = next_delay(
            self._failures, cfg.backoff_base_s, cfg.backoff_cap_s, retry_after, self._rng
        )
        next_at = now + delay
        reason = scrub(reason)
        self.outbox.mark_retry([item.key for item in batch], f"{result}: {reason}", next_at)
        self._gate = next_at
        self._last_error = f"{result}: {reason}"
        self._set_status("offline")
        self.outbox.record_sync(result, reason, now)
        self._last_recorded = now
        log.info("outbox sync %s (%s); next attempt in %.1f s", result, reason, delay)
        return Step("failed", error=self._last_error)

    def _succeeded(self, now: float) -> None:
        self._failures = 0
        self._gate = 0.0
        was = self._status
        self._last_success_at = now
        self._last_error = None
        if was != "syncing":
            self._set_status("syncing")
        if was == "offline" or now - self._last_recorded >= _RECORD_EVERY_S:
            self.outbox.record_sync("ok", None, now)
            self._last_recorded = now

    def _set_status(self, status: str) -> None:
        changed = status != self._status
        self._status = status
        if changed and self._on_state is not None:
            try:
                self._on_state(self.state())
            except Exception:
                log.exception("sync state callback failed")
