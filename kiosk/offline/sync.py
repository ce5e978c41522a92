"""The sync worker: drains the outbox to the platform in batches, in the background.

At-least-once on the wire, exactly-once at the platform: an item leaves the outbox only after
the platform's per-item answer (accepted or duplicate), in one transaction. Failures of the
link (network, 408, 429, 5xx, 401, garbage answers, errors that are not the platform's own)
keep the items and back off with full jitter, never earlier than Retry-After, counted from
when the failure arrived on a clock that survives restarts and clock steps
(kiosk.offline.retry_clock). A malformed batch (400/422) is resent item by item; an item goes
to the dead letters only on the platform's own refusal, and only when the platform took other
items meanwhile: a refusal of everything is the platform's or the link's problem, not the
items'. A clock the platform refuses as stale is its own state ("clock_skew"): checked every
second against the platform's clock, and sync resumes as soon as it is right. Nothing here
blocks the UI: `state()` reads a snapshot and the database, never the network.
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
from kiosk.offline.outbox import Outbox, OutboxError, OutboxFull, OutboxItem
from kiosk.offline.retry_clock import RetryClock
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
_SKEW_CHECK_S = 1.0  # how often a clock refused as stale is compared with the platform's
_SKEW_OK_S = 240.0  # the platform accepts 300 s (kiosk.platform.signing.MAX_SKEW_S)


class BatchClient(Protocol):
    def submit_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SyncState:
    status: str  # "online" | "offline" | "syncing" | "clock_skew" | "refused"
    pending: int
    dead_letters: int
    last_error: str | None
    last_success_at: float | None
    next_attempt_at: float | None  # wall-clock estimate of the next attempt after a failure
    retry_in_s: float | None = None  # the same as a duration (what the worker really waits)
    clock_skew_s: float | None = None  # terminal clock minus the platform's, when known

    def clock_message(self) -> str | None:
        """For staff and the console, e.g. "terminal clock 10 min ahead of the platform"."""
        skew = self.clock_skew_s
        if skew is None or abs(skew) < 60:
            return None
        way = "ahead of" if skew > 0 else "behind"
        amount = f"{abs(skew) / 60:.0f} min" if abs(skew) < 5400 else f"{abs(skew) / 3600:.1f} h"
        return f"terminal clock {amount} {way} the platform"


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
    outcome: str  # "sent" | "idle" | "waiting" | "failed" | "refused" (while isolating)
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
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        on_state: Callable[[SyncState], None] | None = None,
        rng: random.Random | None = None,
        poll_interval_s: float = 5.0,
        purge_interval_s: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.config = config or OutboxConfig()
        self._clock = clock  # wall time: what is recorded and shown
        self._monotonic = monotonic
        self._retry_clock = RetryClock(outbox.retry_clock_mark(), monotonic, clock)
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
        self._gate = 0.0  # no attempt before this retry-clock time (backoff after a failure)
        self._last_recorded = 0.0
        # A clock refused as stale: (platform time, monotonic time) when that was measured.
        self._platform_time: tuple[float, float] | None = None
        self._skew_refused = False
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
            now = self._retry_clock.now()
            wake_at = now + self._poll
            if self._gate > now:
                wake_at = self._gate
            else:
                due = self.outbox.next_due_at(now)
                if due is not None:
                    wake_at = min(wake_at, due)
            if self._skew_refused:  # cheap, local: is the clock right yet?
                wake_at = min(wake_at, now + _SKEW_CHECK_S)
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
        wait = self._gate - self._retry_clock.now()
        return SyncState(
            status=self._status,
            pending=self._pending,
            dead_letters=self._dead,
            last_error=self._last_error,
            last_success_at=self._last_success_at,
            next_attempt_at=self._clock() + wait if wait > 0 else None,
            retry_in_s=wait if wait > 0 else None,
            clock_skew_s=self.clock_skew_s(),
        )

    def clock_skew_s(self) -> float | None:
        """Terminal clock minus the platform's now, from the last measurement (None: unknown)."""
        measured = getattr(self.client, "clock_skew_s", None)
        if self._platform_time is not None:
            platform_then, mono_then = self._platform_time
            platform_now = platform_then + (self._monotonic() - mono_then)
            return round(self._clock() - platform_now, 1)
        return measured if isinstance(measured, int | float) else None

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
                if remaining <= 0 or self._gate > self._retry_clock.now():
                    return None
                self._delivered.wait(min(remaining, 0.2))

    def sync_now(self, progress: Callable[[SyncProgress], None] | None = None) -> SyncReport:
        """Drain until the outbox is empty or the platform fails (CLI); ignores the backoff."""
        report = SyncReport()
        done = 0
        queued = self.outbox.pending_count()  # once: a COUNT per batch is a scan per batch
        while not self._stopping.is_set():
            step = self.run_once(force=True)
            if step.outcome == "idle":
                break
            report.batches += 1
            report.delivered += step.delivered
            report.duplicates += step.duplicates
            report.dead_lettered += step.dead_lettered
            done += step.delivered + step.dead_lettered
            if progress:
                total = max(queued, done)
                progress(SyncProgress(done, total, report.delivered, report.dead_lettered))
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
            if self._skew_refused and self._clock_is_right():
                log.info("terminal clock agrees with the platform again: sync resumes")
                self._skew_refused = False
                self._gate = 0.0
                self._platform_time = None
                self.outbox.release_waiting()  # what waited for the clock goes at once
            if not force and self._retry_clock.now() < self._gate:
                return Step("waiting")
            cfg = self.config
            batch = self.outbox.next_batch(
                cfg.batch_max_items,
                cfg.batch_max_bytes,
                float("inf") if force else self._retry_clock.now(),
            )
            if not batch:
                if self._status == "syncing":
                    self.outbox.drained()
                    self._set_status("online")
                if self._last_success_at and self._last_success_at > self._last_recorded:
                    self.outbox.record_sync("ok", None, self._last_success_at)
                    self._last_recorded = self._last_success_at
                return Step("idle")
            self._set_status("syncing")
            return self._send(batch, now)

    def _send(self, batch: Sequence[OutboxItem], now: float, isolating: bool = False) -> Step:
        keys = [item.key for item in batch]
        try:
            self.outbox.mark_sending(keys)
        except OutboxFull:  # the count only marks resends; sending is what frees the disk
            log.warning("outbox disk full: sending without counting the attempt")
        wire = [item.to_wire() for item in batch]
        if any(item.attempts for item in batch):
            log.info("resending %d outbox item(s) (repeat)", sum(1 for i in batch if i.attempts))
        try:
            results = self.client.submit_batch(wire)
        except PlatformRejected as exc:
            if isolating:
                return Step("refused", error=f"HTTP {exc.status}: {exc.code}")
            return self._isolate(batch, exc, now)
        except PlatformAuthError as exc:
            if exc.code == "stale_timestamp":
                return self._clock_refused(batch, exc, now)
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
        refused_all = (
            len(batch) > 1
            and len(answered) == len(batch)
            and all(r["status"] == "rejected" for r in answered.values())
        )
        if refused_all:  # the platform refuses everything: its problem, not every item's
            reasons = sorted({str(r.get("reason")) for r in answered.values()})
            log.error(
                "platform rejected all %d items of a batch (%s): kept queued, not dead-lettered",
                len(batch),
                ", ".join(reasons)[:200],
            )
            return self._later(
                batch, "refused", "platform rejects every item: " + ", ".join(reasons), now,
                status="refused",
            )  # fmt: skip
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
        """The platform refused a request as a whole: send its items one by one.

        An item refused alone goes to the dead letters only if the platform took another
        item meanwhile; when it refuses every item, they all stay queued ("refused")."""
        log.warning(
            "platform refused a batch of %d (HTTP %d %s); isolating the bad items",
            len(batch), exc.status, exc.code,
        )  # fmt: skip
        total = Step("sent")
        refused: list[tuple[OutboxItem, str]] = []
        for item in batch:
            retried = dataclasses.replace(item, attempts=item.attempts + 1)
            step = self._send([retried], now, isolating=True)
            if step.outcome == "refused":
                refused.append((item, step.error or f"HTTP {exc.status}"))
                continue
            total = Step(
                step.outcome if step.outcome == "failed" else "sent",
                total.delivered + step.delivered,
                total.duplicates + step.duplicates,
                total.dead_lettered + step.dead_lettered,
                step.error,
            )
            if step.outcome == "failed":
                return total  # the link failed meanwhile: the rest wait for the backoff
        if not refused:
            return total
        if total.delivered == 0:
            reasons = ", ".join(sorted({why for _, why in refused}))
            log.error(
                "platform refuses %d item(s) and took none (%s): kept queued for staff",
                len(refused), reasons,
            )  # fmt: skip
            return self._later(
                [item for item, _ in refused], "refused", f"platform refuses: {reasons}", now,
                status="refused",
            )  # fmt: skip
        for item, why in refused:
            self.outbox.move_to_dead_letter(item.key, why, now)
            log.warning("platform refused an outbox item (%s): moved to dead letters", why)
        with self._delivered:
            self._delivered.notify_all()
        self._succeeded(now)  # the platform is reachable; those items were the problem
        return dataclasses.replace(total, dead_lettered=total.dead_lettered + len(refused))

    def _clock_refused(
        self, batch: Sequence[OutboxItem], exc: PlatformAuthError, now: float
    ) -> Step:
        """401 stale_timestamp: the terminal's clock is off. Its own state, not "offline"."""
        if exc.clock_skew_s is not None:
            self._platform_time = (self._clock() - exc.clock_skew_s, self._monotonic())
        self._skew_refused = True
        step = self._later(
            batch, "clock_skew", f"platform refuses the terminal's clock ({exc.reason})", now,
            status="clock_skew",
        )  # fmt: skip
        message = self.state().clock_message() or "terminal clock is off"
        log.error("%s: %d item(s) wait until it is corrected", message.upper(), len(batch))
        return step

    def _clock_is_right(self) -> bool:
        skew = self.clock_skew_s() if self._platform_time is not None else None
        return skew is not None and abs(skew) < _SKEW_OK_S

    def _later(
        self,
        batch: Sequence[OutboxItem],
        result: str,
        reason: str,
        now: float,
        retry_after: float | None = None,
        status: str = "offline",
    ) -> Step:
        arrived = self._retry_clock.now()  # counted from when the failure arrived
        self._failures += 1
        cfg = self.config
        delay = next_delay(
            self._failures, cfg.backoff_base_s, cfg.backoff_cap_s, retry_after, self._rng
        )
        next_at = arrived + delay
        reason = scrub(reason)
        self.outbox.mark_retry(
            [item.key for item in batch], f"{result}: {reason}", next_at, self._retry_clock.mark()
        )
        self._gate = next_at
        self._last_error = f"{result}: {reason}"
        self._set_status(status)
        self.outbox.record_sync(result, reason, now)
        self._last_recorded = now
        log.info("outbox sync %s (%s); next attempt in %.1f s", result, reason, delay)
        return Step("failed", error=self._last_error)

    def _succeeded(self, now: float) -> None:
        self._failures = 0
        self._gate = 0.0
        self._skew_refused = False
        self._platform_time = None
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
