"""kill -9 loop: a writer acknowledges items to "residents", a sync worker drains them, and
both are SIGKILLed at random points, round after round. Nothing acknowledged may be lost and
nothing may reach the platform twice (Kafka's TransactionsTest assertions, adapted)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from kiosk.config import OutboxConfig
from kiosk.offline.crypto import load_public_key
from kiosk.offline.outbox import Outbox, new_transaction_key
from kiosk.offline.sync import SyncWorker
from kiosk.platform.client import PlatformClient
from tests.outbox_helpers import (
    FAKE_ID,
    FAKE_NAME,
    platform_client,
    reference_platform,
    stored_per_key,
)

ROUNDS = 200


def _writer(db: Path, pub: Path, log: Path) -> None:
    """Child: print "T key" before enqueue and "A key" only after it returned (= receipt)."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    box = Outbox.open(db, load_public_key(pub), checkpoint_interval_s=0.05)
    last = None
    for i in range(1_000_000):
        if last is not None and i % 5 == 0:  # a UI retry of the previous submission
            assert box.enqueue(last, "application", "retry", {}, {}).key == last
        key = new_transaction_key()
        os.write(fd, f"T {key}\n".encode())
        image = os.urandom(30_000).hex() if i % 10 == 0 else ""
        box.enqueue(
            key,
            "application",
            f"resident-{i % 7}",
            {"masked_name": "欧**试"},
            {"name": FAKE_NAME, "id_number": FAKE_ID, "face": image},
        )
        os.write(fd, f"A {key}\n".encode())
        last = key


def _syncer(db: Path, client_args: tuple[str, str, str]) -> None:
    box = Outbox.open(db, None, checkpoint_interval_s=0.05)
    worker = SyncWorker(
        box,
        PlatformClient(*client_args, timeout=5),
        OutboxConfig(batch_max_items=20),
        poll_interval_s=0.01,
    )
    worker.start()
    time.sleep(3600)


def _fork(target, *args) -> int:
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            target(*args)
        finally:
            os._exit(0)
    return pid


def test_kill_9_loses_nothing_and_duplicates_nothing(tmp_path: Path):
    db = tmp_path / "outbox.sqlite3"
    rng = random.Random(20261122)
    tried: set[str] = set()
    acked: set[str] = set()
    with reference_platform(tmp_path / "platform") as platform:
        pub = platform.public_key_path
        args = (platform.base_url, platform.terminal_id, platform.terminal_secret)
        for round_no in range(ROUNDS):
            log = tmp_path / f"round-{round_no}.log"
            pids = [_fork(_writer, db, pub, log), _fork(_syncer, db, args)]
            time.sleep(rng.uniform(0.01, 0.15))
            rng.shuffle(pids)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
                time.sleep(rng.uniform(0, 0.02))
            for pid in pids:
                os.waitpid(pid, 0)
            lines = log.read_text().splitlines() if log.exists() else []  # killed before start
            for line in lines:
                tag, key = line.split()
                (acked if tag == "A" else tried).add(key)
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], round_no
            conn.close()

        box = Outbox.open(db, None)
        report = SyncWorker(box, platform_client(platform)).sync_now()
        dead = [(d.key, d.reason) for d in box.dead_letters(limit=20)]
        box.close()
        assert dead == [] and report.error is None and report.pending == 0, (dead, report)
        counts = stored_per_key(platform)

    stored = set(counts)
    assert len(acked) > 500  # the loop did real work (each open now also runs integrity_check)
    missing = sorted(acked - stored)[:5]
    if missing:
        conn = sqlite3.connect(db)
        where = {
            k: [
                t
                for t in ("outbox", "delivered", "dead_letter")
                if conn.execute(f"SELECT 1 FROM {t} WHERE key=?", (k,)).fetchone()
            ]
            for k in missing
        }
        srv = sqlite3.connect(tmp_path / "platform" / "platform.sqlite3")
        where_srv = {
            k: srv.execute(
                "SELECT status, reference, reason FROM items WHERE key=?", (k,)
            ).fetchall()
            for k in missing
        }
        refs = {
            k: conn.execute("SELECT reference, status FROM delivered WHERE key=?", (k,)).fetchall()
            for k in missing
        }
        raise AssertionError(
            f"missing {len(acked - stored)}: local {where} server {where_srv} refs {refs}"
        )
    assert acked - stored == set()  # every acknowledged item reached the platform
    assert stored - tried == set()  # nothing invented
    assert set(counts.values()) == {1}  # exactly once at the platform
    unacked_delivered = stored - acked  # committed, killed before the receipt: still delivered
    print(
        f"\n{ROUNDS} rounds: {len(acked)} acked, {len(unacked_delivered)} committed-unacked "
        f"delivered, {report.duplicates} duplicates answered in the final drain"
    )
