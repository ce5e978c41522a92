"""The sync worker against the reference platform server on loopback, faults on the wire."""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.config import OutboxConfig
from kiosk.offline.outbox import Outbox, new_transaction_key
from kiosk.offline.sync import SyncWorker
from kiosk.platform.server.faults import Fault
from tests.outbox_helpers import (
    FAKE_ID,
    FAKE_NAME,
    FakeClock,
    RecordingClient,
    platform_client,
    platform_public_key,
    seeded_rng,
    stored_order,
    stored_per_key,
)

CFG = OutboxConfig(batch_max_items=4, backoff_base_s=1.0, backoff_cap_s=30.0)


pytestmark = pytest.mark.usefixtures("no_faults_left")


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def outbox(tmp_path: Path, clock, platform):
    box = Outbox.open(tmp_path / "outbox.sqlite3", platform_public_key(platform), clock=clock)
    yield box
    box.close()


def fill(box: Outbox, n: int, streams: int = 3, id_number: str = FAKE_ID) -> list[str]:
    prefix = new_transaction_key()[:8]  # streams unique to this test (module-scoped platform)
    return [
        box.enqueue(
            new_transaction_key(),
            "application",
            f"{prefix}-resident-{i % streams}",
            {"masked_name": "欧**试"},
            {"name": FAKE_NAME, "id_number": id_number},
        ).key
        for i in range(n)
    ]


def drive(worker: SyncWorker, clock: FakeClock, steps: int = 200) -> None:
    """Run the worker step by step; jump the injected clock instead of sleeping."""
    for _ in range(steps):
        step = worker.run_once()
        if step.outcome == "idle":
            return
        if step.outcome in ("failed", "waiting"):
            clock.now = max(clock.now, worker.state().next_attempt_at or clock.now)
    raise AssertionError("worker did not drain")


def test_every_item_arrives_exactly_once_through_network_faults(outbox, platform, clock):
    keys = fill(outbox, 30)
    for fault in (
        Fault("error", count=1),
        Fault("rate_limit", seconds=1, count=1),
        Fault("drop", count=2),
        Fault("malformed", count=1),
        Fault("schema", count=1),
        Fault("latency", seconds=0.6, count=1),
        Fault("error", status=502, count=1),
    ):
        platform.faults.add(fault)
    client = RecordingClient(platform_client(platform, timeout=0.3))
    worker = SyncWorker(outbox, client, CFG, clock=clock, monotonic=clock, rng=seeded_rng())
    drive(worker, clock)
    counts = stored_per_key(platform)
    assert set(keys) <= set(counts)
    assert {counts[k] for k in keys} == {1}  # exactly once at the platform
    assert client.answers["duplicate"] >= 1  # ... after at-least-once on the wire
    resent = [k for k, attempts in client.sent_attempts.items() if len(attempts) > 1]
    assert resent and all(client.sent_attempts[k][-1] > 0 for k in resent)  # repeats marked
    per_stream: dict[str, list[int]] = defaultdict(list)
    for stream, seq in stored_order(platform):
        per_stream[stream].append(seq)
    assert per_stream and all(q == sorted(q) for q in per_stream.values())  # per-resident order
    state = worker.state()
    assert (state.status, state.pending, state.dead_letters) == ("online", 0, 0)
    assert state.last_success_at == clock.now and state.last_error is None
    assert outbox.stats().last_sync_result == "ok"


def test_retry_after_is_a_floor_for_the_next_attempt(outbox, platform, clock):
    fill(outbox, 3)
    platform.faults.add(Fault("rate_limit", seconds=120, count=1))
    worker = SyncWorker(
        outbox, platform_client(platform), CFG, clock=clock, monotonic=clock, rng=seeded_rng()
    )
    start = clock.now
    assert worker.run_once().outcome == "failed"
    state = worker.state()
    assert state.status == "offline" and state.pending == 3
    assert state.next_attempt_at is not None and state.next_attempt_at >= start + 120
    assert "429" in (state.last_error or "")
    clock.advance(119)
    assert worker.run_once().outcome == "waiting"  # no request before Retry-After
    clock.now = state.next_attempt_at
    drive(worker, clock)
    assert worker.state().pending == 0


def test_backoff_grows_with_full_jitter_up_to_the_cap(outbox, platform, clock):
    fill(outbox, 1)
    platform.faults.add(Fault("error", count=8))
    worker = SyncWorker(
        outbox, platform_client(platform), CFG, clock=clock, monotonic=clock, rng=seeded_rng()
    )
    delays = []
    for failure in range(1, 9):
        assert worker.run_once().outcome == "failed"
        delay = worker.state().next_attempt_at - clock.now
        assert 0 <= delay <= min(CFG.backoff_cap_s, CFG.backoff_base_s * 2 ** (failure - 1))
        delays.append(delay)
        clock.advance(delay)
    assert max(delays[4:]) > max(delays[:2])  # it really backs off
    assert len(set(delays)) == len(delays)  # jittered, not lock-step
    drive(worker, clock)


def test_malformed_batch_is_isolated_and_only_bad_items_dead_lettered(outbox, platform, clock):
    keys = fill(outbox, 4, streams=4)
    # an item the platform's schema refuses (e.g. written by an older terminal version)
    outbox._conn.execute("UPDATE outbox SET kind = 'payment' WHERE key = ?", (keys[2],))
    worker = SyncWorker(
        outbox, platform_client(platform), CFG, clock=clock, monotonic=clock, rng=seeded_rng()
    )
    drive(worker, clock)
    counts = stored_per_key(platform)
    assert all(counts.get(k) == 1 for k in (keys[0], keys[1], keys[3])) and keys[2] not in counts
    (dead,) = outbox.dead_letters()
    assert dead.key == keys[2] and "422" in dead.reason
    assert worker.state().status == "online" and worker.state().dead_letters == 1


def test_rejected_item_goes_to_dead_letters_and_staff_can_discard_it(outbox, platform, clock):
    good = fill(outbox, 2)
    (bad,) = fill(outbox, 1, id_number="110105199003071230")  # wrong check digit
    worker = SyncWorker(
        outbox, platform_client(platform), CFG, clock=clock, monotonic=clock, rng=seeded_rng()
    )
    drive(worker, clock)
    assert all(stored_per_key(platform).get(k) == 1 for k in good)
    (dead,) = outbox.dead_letters()
    assert dead.key == bad and dead.reason == "invalid_id_number"
    ref = dead.local_ref
    assert outbox.retry_dead_letter(bad)  # staff retry: the platform answers the same way
    drive(worker, clock)
    assert [d.key for d in outbox.dead_letters()] == [bad]
    assert outbox.discard_dead_letter(bad, "ID number mistyped; resident re-applied")
    assert outbox.lookup(ref).state == "discarded"


def test_unauthorised_is_retried_later_and_logged_loudly(outbox, platform, clock, caplog):
    fill(outbox, 2)
    wrong = platform_client(platform, secret="not-the-terminal-secret")
    worker = SyncWorker(outbox, wrong, CFG, clock=clock, monotonic=clock, rng=seeded_rng())
    with caplog.at_level(logging.ERROR, logger="kiosk.offline.sync"):
        assert worker.run_once().outcome == "failed"
    assert any("SIGNATURE" in r.getMessage() for r in caplog.records)
    state = worker.state()
    assert (state.status, state.pending, state.dead_letters) == ("offline", 2, 0)
    worker.client = platform_client(platform)  # the technician fixes the secret
    drive(worker, clock)
    assert worker.state().pending == 0


def test_background_worker_delivers_and_reports_state(tmp_path: Path, platform):
    box = Outbox.open(tmp_path / "o.sqlite3", platform_public_key(platform))
    states = []
    worker = SyncWorker(
        box, platform_client(platform), CFG, on_state=states.append, poll_interval_s=0.05
    )
    worker.start()
    try:
        (key,) = fill(box, 1)
        reference = worker.wait_delivered(key, timeout=10)
        assert reference and reference.startswith("ZW")
        assert box.pending_count() == 0
        assert "syncing" in [s.status for s in states]
    finally:
        worker.stop()
        box.close()


def test_offline_worker_answers_at_once_for_the_receipt(outbox, platform, clock):
    (key,) = fill(outbox, 1)
    platform.faults.add(Fault("error", count=1))
    worker = SyncWorker(
        outbox, platform_client(platform), CFG, clock=clock, monotonic=clock, rng=seeded_rng()
    )
    worker.run_once()
    assert worker.wait_delivered(key, timeout=30) is None  # offline: local_ref on the receipt


def test_sync_now_drains_with_progress_and_stops_on_error(outbox, platform, clock):
    fill(outbox, 10)
    seen = []
    worker = SyncWorker(
        outbox, platform_client(platform), CFG, clock=clock, monotonic=clock, rng=seeded_rng()
    )
    platform.faults.add(Fault("error", probability=1.0))
    report = worker.sync_now(progress=seen.append)
    assert report.delivered == 0 and report.error and report.pending == 10
    platform.faults.clear()
    report = worker.sync_now(progress=seen.append)  # the technician tries again at once
    assert report.delivered == 10 and report.error is None and report.pending == 0
    assert seen[-1].done == seen[-1].total == 10


def test_purge_runs_in_the_worker_after_retention(outbox, platform, clock):
    fill(outbox, 2)
    worker = SyncWorker(
        outbox,
        platform_client(platform),
        OutboxConfig(retention_days=1),
        clock=clock,
        monotonic=clock,
    )
    drive(worker, clock)
    assert outbox.stats().delivered_kept == 2
    clock.advance(2 * 86400)
    worker._maybe_purge()
    assert outbox.stats().delivered_kept == 0
    assert sqlite3.connect(outbox.path).execute("SELECT COUNT(*) FROM delivered").fetchone()[0] == 0
