"""Torn copies of a live outbox: every copy opens to a working outbox, and nothing
acknowledged that the copied files hold is lost.

Each round a writer process enqueues (and marks some items delivered, so pages churn), and
the test takes copies of its files three ways: frozen (SIGSTOP, copy, SIGCONT: a snapshot),
frozen with the WAL cut at a random byte (a copy or disk that lost its tail), and unfrozen
(the database file and the WAL copied at different moments while the writer runs: pages of
different ages, what passes quick_check and fails integrity_check). Every copy must open,
take new items, and hold each key once; the frozen copy, and a copy whose WAL lost only what
follows its last commit (all a power cut can take with synchronous=FULL), hold every item
acknowledged before the freeze; a cut through committed frames still opens, invents nothing.

CI runs ROUNDS (small); the full size: KIOSK_TORN_ROUNDS=300 pytest tests/test_outbox_torn_copy.py
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import signal
import sqlite3
import time
from pathlib import Path

from kiosk.offline.crypto import load_public_key
from kiosk.offline.outbox import Outbox, new_transaction_key
from tests.outbox_helpers import FAKE_ID, FAKE_NAME, keypair

ROUNDS = int(os.environ.get("KIOSK_TORN_ROUNDS", "12"))
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _writer(db: Path, pub: Path, log: Path) -> None:
    """Child: "A key" is written only after enqueue returned (the resident's receipt)."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    box = Outbox.open(db, load_public_key(pub), checkpoint_interval_s=0.05)
    for i in range(10**7):
        key = new_transaction_key()
        image = os.urandom(8_000).hex() if i % 9 == 0 else ""
        box.enqueue(key, "application", f"resident-{i % 5}", {"masked_name": "欧**试"},
                    {"name": FAKE_NAME, "id_number": FAKE_ID, "face": image})  # fmt: skip
        os.write(fd, f"A {key}\n".encode())
        if i % 3 == 0:  # the platform took the oldest: pages freed and reused
            oldest = box.next_batch(2, 10**9, float("inf"))
            box.mark_delivered(
                [{"key": item.key, "status": "accepted", "reference": f"ZW{i}"} for item in oldest]
            )


def _copy(db: Path, to: Path, cut_wal_at: float | None = None, after_commits: bool = False) -> Path:
    """Copy the database and its WAL; cut the WAL at `cut_wal_at` of its length, or (with
    `after_commits`) that far into what follows its last commit frame."""
    to.mkdir()
    target = to / db.name
    for suffix in ("", "-wal"):
        source = db.with_name(db.name + suffix)
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))
    wal = target.with_name(target.name + "-wal")
    if cut_wal_at is not None and wal.exists():
        size = wal.stat().st_size
        start = _end_of_last_commit(wal.read_bytes()) if after_commits else 0
        with open(wal, "r+b") as f:
            f.truncate(start + int((size - start) * cut_wal_at))
    return target


def _end_of_last_commit(wal: bytes) -> int:
    """Byte offset just past the WAL's last commit frame of the current generation (frames
    whose salts match the header): what an fsync'd commit (synchronous=FULL) guarantees."""
    if len(wal) < 32:
        return 0
    page = int.from_bytes(wal[8:12], "big")
    salts = wal[16:24]
    end, offset = 32, 32
    while offset + 24 + page <= len(wal):
        header = wal[offset : offset + 24]
        if header[8:16] != salts:
            break
        offset += 24 + page
        if int.from_bytes(header[4:8], "big"):  # database size after commit: a commit frame
            end = offset
    return end


def _slow_copy(source: Path, target: Path, chunk: int = 8192) -> None:
    """Copy a file while it changes, a few pages at a time: pages of different ages."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        while block := src.read(chunk):
            dst.write(block)
            time.sleep(0.002)


def _keys_in(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [
            row[0]
            for table in ("outbox", "delivered", "dead_letter")
            for row in conn.execute(f"SELECT key FROM {table}")
        ]
    finally:
        conn.close()


def _opens_and_works(copy: Path, pub: Path) -> set[str]:
    box = Outbox.open(copy, load_public_key(pub), checkpoint_interval_s=0)
    try:
        found = [i.key for i in box.next_batch(10**6, 10**12, float("inf"))]
        refs = [box.enqueue(new_transaction_key(), "audit", "audit", {"n": n}, {}).local_ref
                for n in range(3)]  # fmt: skip
        assert len(set(refs)) == 3 and all(box.lookup(r) for r in refs)
        assert box.integrity_check() == ["ok"]
        delivered = {
            row[0]
            for row in box._conn.execute("SELECT key FROM delivered")  # noqa: SLF001
        }
    finally:
        box.close()
    assert len(found) == len(set(found))  # each key once
    assert not set(found) & delivered  # never both queued and delivered
    return set(found) | delivered


def test_torn_copies_open_to_a_working_outbox_and_lose_nothing_they_hold(tmp_path: Path):
    keypair(tmp_path)
    pub = tmp_path / "platform_x25519.pub"
    db = tmp_path / "live" / "outbox.sqlite3"
    db.parent.mkdir()
    log = tmp_path / "acked.log"
    rng = random.Random(20261201)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # never return into pytest
        try:
            # Dies with pytest however it ends: once, when pytest was OOM-killed, this
            # writer went on enqueuing for 80 minutes, holding 1.1 GiB.
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(1)
            _writer(db, pub, log)
        finally:
            os._exit(0)
    recovered = 0
    try:
        while not db.exists() or not log.exists() or log.stat().st_size < 2000:
            time.sleep(0.05)
        for n in range(ROUNDS):
            time.sleep(rng.uniform(0.02, 0.2))
            # frozen: a snapshot; every item acknowledged before the freeze is in it
            os.kill(pid, signal.SIGSTOP)
            try:
                acked = {line.split()[1] for line in log.read_text().splitlines()}
                snapshot = _copy(db, tmp_path / f"snap-{n}")
                cut = _copy(db, tmp_path / f"cut-{n}", cut_wal_at=rng.random())
                # what a power cut can take with synchronous=FULL: only past the last commit
                power = _copy(db, tmp_path / f"power-{n}", rng.random(), after_commits=True)
            finally:
                os.kill(pid, signal.SIGCONT)
            # unfrozen: the database file and its WAL from different moments
            torn = tmp_path / f"torn-{n}"
            torn.mkdir()
            _slow_copy(db, torn / db.name)  # checkpoints land while it copies
            wal = db.with_name(db.name + "-wal")
            if wal.exists() and rng.random() < 0.5:
                shutil.copyfile(wal, torn / (db.name + "-wal"))

            in_snapshot = _opens_and_works(snapshot, pub)
            assert acked <= in_snapshot, f"round {n}: acknowledged items missing"
            in_power_cut = _opens_and_works(power, pub)
            assert acked <= in_power_cut <= in_snapshot, f"round {n}: a power cut lost items"
            # A cut through committed frames destroys what FULL made durable: the copy must
            # still open and work, with nothing invented.
            assert _opens_and_works(cut, pub) <= in_snapshot, f"round {n}: items invented"
            _opens_and_works(torn / db.name, pub)
            recovered += sum(
                1 for p in (cut.parent, torn) for f in p.iterdir() if f.name.endswith(".json")
            )
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    print(f"\n{ROUNDS} rounds, {recovered} copies rebuilt from damage")


def test_a_reference_counter_behind_its_items_never_blocks_enqueue(tmp_path: Path):
    """What a torn copy did: the counter page older than the item pages. Every enqueue then
    failed with UNIQUE constraint failed: outbox.local_ref, for good."""
    keypair(tmp_path)
    pub = load_public_key(tmp_path / "platform_x25519.pub")
    path = tmp_path / "outbox.sqlite3"
    with Outbox.open(path, pub) as box:
        refs = [box.enqueue(new_transaction_key(), "audit", "audit", {}, {}).local_ref
                for _ in range(5)]  # fmt: skip
        box._conn.execute("UPDATE meta SET value = '2' WHERE name = 'ref_counter'")  # noqa: SLF001
        new = box.enqueue(new_transaction_key(), "audit", "audit", {}, {}).local_ref
        assert new not in refs
    with Outbox.open(path, pub) as box:
        box._conn.execute("UPDATE meta SET value = '1' WHERE name = 'ref_counter'")  # noqa: SLF001
    with Outbox.open(path, pub) as box:  # found at open this time
        more = box.enqueue(new_transaction_key(), "audit", "audit", {}, {}).local_ref
        assert more not in [*refs, new] and box.pending_count() == 7
