"""The outbox file itself: durable idempotent enqueue, order, dead letters, damage, disk full."""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from pathlib import Path

import pytest

from kiosk.offline.outbox import (
    Outbox,
    OutboxCorrupt,
    OutboxFull,
    OutboxMissing,
    OutboxNoKey,
    new_transaction_key,
)
from kiosk.privacy import mask_id_number, mask_name
from tests.outbox_helpers import FAKE_ID, FAKE_NAME, FakeClock, keypair

REF = re.compile(r"^KIOSK-DEMO-0001-\d{8}-\d{6}$")


@pytest.fixture
def pub(tmp_path: Path):
    return keypair(tmp_path / "keys").public_key()


@pytest.fixture
def outbox(tmp_path: Path, pub):
    box = Outbox.open(tmp_path / "outbox.sqlite3", pub)
    yield box
    box.close()


def resident_item(
    box: Outbox, stream: str = "session-1", key: str | None = None, image: bytes = b""
):
    return box.enqueue(
        key or new_transaction_key(),
        "application",
        stream,
        {
            "service_name": "社保缴费证明",
            "masked_name": mask_name(FAKE_NAME),
            "masked_id": mask_id_number(FAKE_ID),
        },
        {"name": FAKE_NAME, "id_number": FAKE_ID, "face_jpeg": image.hex()},
    )


def test_pragmas_are_the_durable_ones(outbox: Outbox):
    assert outbox.pragma("journal_mode") == "wal"
    assert outbox.pragma("synchronous") == 2  # FULL
    assert outbox.pragma("wal_autocheckpoint") == 0
    assert outbox.pragma("secure_delete") == 1
    assert outbox.pragma("busy_timeout") >= 1000


def test_same_key_returns_first_receipt_even_after_reopen(tmp_path: Path, pub):
    path = tmp_path / "outbox.sqlite3"
    key = new_transaction_key()
    with Outbox.open(path, pub) as box:
        first = resident_item(box, key=key)
        assert REF.match(first.local_ref) and first.seq == 1
        assert resident_item(box, key=key) == first  # UI retry: no duplicate
        assert box.pending_count() == 1
    with Outbox.open(path, pub) as box:
        assert resident_item(box, key=key.upper()) == first
        second = resident_item(box)
        assert box.pending_count() == 2
        # the printed counter survives the restart and never repeats
        assert int(second.local_ref[-6:]) == int(first.local_ref[-6:]) + 1


def test_key_must_be_a_uuid_and_kind_known(outbox: Outbox):
    with pytest.raises(ValueError, match="UUID"):
        outbox.enqueue("not-a-key", "application", "s", {}, {})
    with pytest.raises(ValueError, match="kind"):
        outbox.enqueue(new_transaction_key(), "payment", "s", {}, {})
    assert outbox.pending_count() == 0


def test_refuses_to_store_personal_data_without_the_platform_key(tmp_path: Path):
    with Outbox.open(tmp_path / "o.sqlite3", None) as box:
        with pytest.raises(OutboxNoKey, match="unencrypted"):
            resident_item(box)
        assert box.pending_count() == 0


def test_per_stream_sequence_and_order(outbox: Outbox):
    a1, a2 = resident_item(outbox, "A"), resident_item(outbox, "A")
    b1 = resident_item(outbox, "B")
    a3 = resident_item(outbox, "A")
    assert [a1.seq, a2.seq, a3.seq, b1.seq] == [1, 2, 3, 1]
    now = 1000.0
    batch = outbox.next_batch(10, 10**7, now)
    assert [i.key for i in batch] == [a1.key, a2.key, b1.key, a3.key]
    # A1 is backing off: nothing later in stream A may overtake it; B goes on
    outbox.mark_retry([a1.key], "offline: HTTP 503", now + 60)
    assert [i.key for i in outbox.next_batch(10, 10**7, now)] == [b1.key]
    assert [i.key for i in outbox.next_batch(10, 10**7, now + 61)] == [
        a1.key,
        a2.key,
        b1.key,
        a3.key,
    ]


def test_batch_limits_by_items_and_bytes(outbox: Outbox):
    for _ in range(5):
        resident_item(outbox, image=os.urandom(4000))
    one = outbox.next_batch(10, 1, 0)[0].size
    assert len(outbox.next_batch(3, 10**7, 0)) == 3
    assert len(outbox.next_batch(10, one * 2, 0)) == 2
    assert len(outbox.next_batch(10, 1, 0)) == 1  # an oversized item still goes, alone


def test_queued_personal_data_is_not_in_the_file_in_clear(tmp_path: Path, pub):
    path = tmp_path / "outbox.sqlite3"
    box = Outbox.open(path, pub, checkpoint_interval_s=0)  # keep it all in the -wal too
    for _ in range(3):
        resident_item(box, image=os.urandom(30_000))
    raw = path.read_bytes() + Path(f"{path}-wal").read_bytes()
    assert len(Path(f"{path}-wal").read_bytes()) > 90_000  # the items really are in there
    needles = [FAKE_ID, FAKE_NAME, FAKE_ID[6:14]]
    for text in needles:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "gbk"):
            assert text.encode(encoding) not in raw, (text[:2], encoding)
    assert mask_name(FAKE_NAME).encode() in raw  # the masked display form is readable
    box.close()


def test_dead_letter_retry_and_discard_with_audit(outbox: Outbox):
    bad = resident_item(outbox, "A")
    later = resident_item(outbox, "A")
    counts = outbox.mark_delivered(
        [
            {"key": bad.key, "status": "rejected", "reason": "invalid_form"},
            {"key": later.key, "status": "accepted", "reference": "ZW000000000001"},
        ]
    )
    assert counts["rejected"] == 1 and counts["accepted"] == 1
    assert outbox.stats().dead_letters == 1 and outbox.pending_count() == 0
    (dead,) = outbox.dead_letters()
    assert dead.key == bad.key and dead.reason == "invalid_form"
    assert outbox.lookup(bad.local_ref).state == "dead_letter"
    assert outbox.lookup(later.local_ref.lower()).reference == "ZW000000000001"

    assert outbox.retry_dead_letter(bad.key)
    assert [i.key for i in outbox.next_batch(10, 10**7, 0)] == [bad.key]
    outbox.move_to_dead_letter(bad.key, "HTTP 422: invalid_request")
    with pytest.raises(ValueError, match="reason"):
        outbox.discard_dead_letter(bad.key, "  ")
    assert outbox.discard_dead_letter(
        bad.key, "resident withdrew the application", actor="staff-07"
    )
    assert outbox.dead_letters() == []
    found = outbox.lookup(bad.local_ref)
    assert found.state == "discarded" and found.reason == "resident withdrew the application"
    actions = [(a["action"], a["actor"]) for a in outbox.audit_log()]
    assert actions == [("discard", "staff-07"), ("retry", "staff")]
    assert resident_item(outbox, key=bad.key) == bad  # a late UI retry cannot resurrect it
    assert outbox.pending_count() == 0


def test_purge_forgets_delivered_records_after_retention(tmp_path: Path, pub):
    clock = FakeClock()
    with Outbox.open(tmp_path / "o.sqlite3", pub, clock=clock) as box:
        old = resident_item(box)
        box.mark_delivered([{"key": old.key, "status": "accepted", "reference": "ZW1"}])
        clock.advance(10 * 86400)
        new = resident_item(box)
        box.mark_delivered([{"key": new.key, "status": "duplicate", "reference": "ZW2"}])
        assert box.purge(5 * 86400) == 1
        assert box.lookup(old.local_ref) is None
        assert box.lookup(new.local_ref).reference == "ZW2"


def test_garbage_file_is_kept_aside_and_a_new_outbox_takes_items(tmp_path: Path, pub):
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"this is not a database" * 500)
    with Outbox.open(path, pub) as box:
        report = box.recovery
        assert report is not None and "not a database" in report.summary()
        moved = Path(report.damaged_file)
        assert moved.name.startswith("outbox.sqlite3.corrupt-")
        assert moved.read_bytes().startswith(b"this is not a database")  # kept for staff
        assert report.unreadable and str(moved) in report.summary()
        assert box.pending_count() == 0
        assert resident_item(box).local_ref  # enqueue works at once
    with Outbox.open(path, pub) as box:  # and the new outbox is a healthy one
        assert box.recovery is None and box.pending_count() == 1


def test_damaged_pages_are_caught_and_readable_items_carried_over(tmp_path: Path, pub):
    path = tmp_path / "outbox.sqlite3"
    with Outbox.open(path, pub) as box:
        keys = [resident_item(box, image=os.urandom(2000)).key for _ in range(40)]
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[3 * page : 6 * page] = os.urandom(3 * page)  # scribble over b-tree pages
    path.write_bytes(bytes(data))
    with Outbox.open(path, pub) as box:
        report = box.recovery
        assert report is not None and Path(report.damaged_file).exists()
        assert report.unreadable  # listed for staff
        carried = {item.key for item in box.next_batch(100, 10**9, float("inf"))}
        assert carried <= set(keys) and len(carried) == box.pending_count()
        assert report.carried["outbox"] == len(carried)
        assert box.integrity_check() == ["ok"]
        assert resident_item(box).local_ref


def test_missing_database_that_existed_is_reported(tmp_path: Path, pub):
    path = tmp_path / "outbox.sqlite3"
    with Outbox.open(path, pub) as box:
        resident_item(box)
    path.unlink()
    with pytest.raises(OutboxMissing, match="missing"):
        Outbox.open(path, pub)
    with Outbox.open(path, pub, start_fresh=True) as box:
        assert box.pending_count() == 0


def test_disk_full_refuses_cleanly_and_recovers(tiny_fs: Path, pub):
    path = tiny_fs / "outbox.sqlite3"
    filler = tiny_fs / "logs.bin"  # something else filled the disk
    filler.write_bytes(os.urandom(100_000))
    box = Outbox.open(path, pub, checkpoint_interval_s=0)
    stored = []
    with pytest.raises(OutboxFull, match="not stored"):
        for _ in range(200):
            stored.append(resident_item(box, image=os.urandom(5_000)))
    assert 2 <= len(stored) < 200
    assert box.pending_count() == len(stored)  # nothing half-written
    assert box.integrity_check() == ["ok"]
    # space comes back: the outbox works again, and what was acknowledged is still there
    filler.unlink()
    again = resident_item(box, image=os.urandom(20_000))
    assert box.lookup(again.local_ref).state == "pending"
    assert {i.key for i in box.next_batch(500, 10**8, 0)} == {r.key for r in [*stored, again]}
    box.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == len(stored) + 1
    conn.close()


def test_backlog_query_streams_with_limit(tmp_path: Path, pub):
    """100,000 queued items: the batch query walks the primary key with LIMIT, no sort, no
    full fetch, and a batch costs the same at the head of a huge backlog as of a small one."""
    path = tmp_path / "outbox.sqlite3"
    with Outbox.open(path, pub) as box:
        resident_item(box)  # creates the schema
    conn = sqlite3.connect(path)
    blob = os.urandom(600)
    conn.executemany(
        "INSERT INTO outbox(key, kind, stream, seq, local_ref, created_at, size, display, kid, sealed)"
        " VALUES (?, 'audit', ?, 1, ?, 0, 1200, '{}', 'k', ?)",
        ((str(uuid.uuid4()), f"s{i}", f"KIOSK-X-{i:08d}", blob) for i in range(100_000)),
    )
    conn.commit()
    conn.close()
    statements: list[str] = []
    with Outbox.open(path, pub) as box:
        plan = " | ".join(box.explain_next_batch())
        assert "TEMP B-TREE" not in plan and "SCAN o" in plan
        box._reader.set_trace_callback(statements.append)  # batches are read there
        batch = box.next_batch(100, 1_000_000, 1.0)
        assert len(batch) == 100 and batch[0].stream == "session-1"
        box._reader.set_trace_callback(None)
        assert any("LIMIT" in s for s in statements)
        box.mark_delivered(
            [{"key": i.key, "status": "accepted", "reference": "ZW1"} for i in batch]
        )
        assert box.stats().depth == 100_001 - 100
        # the outbox's own page cache stays bounded whatever the backlog (default 2 MiB)
        assert box.pragma("cache_size") >= -4096


def test_another_applications_database_is_not_taken_over(tmp_path: Path, pub):
    path = tmp_path / "outbox.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos(id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(OutboxCorrupt, match="not an outbox database"):
        Outbox.open(path, pub)


def test_two_processes_creating_the_outbox_at_once_agree(tmp_path: Path, pub):
    """Regression: a second opener used to see a half-made schema and move the file aside."""
    path = tmp_path / "outbox.sqlite3"
    boxes = [Outbox.open(path, pub), Outbox.open(path, pub)]
    receipts = [resident_item(box) for box in boxes]
    assert boxes[0].pending_count() == 2 and receipts[0].local_ref != receipts[1].local_ref
    for box in boxes:
        box.close()
    assert not list(tmp_path.glob("*.corrupt-*"))


LOOPED_OPEN = """
import sys
from pathlib import Path
from kiosk.offline.crypto import load_public_key
from kiosk.offline.outbox import Outbox
with Outbox.open(Path(sys.argv[1]), load_public_key(Path(sys.argv[2]))) as box:
    report = box.recovery
    assert report is not None
    print(report.carried.get("outbox", 0), box.pending_count(), box.integrity_check())
    print("|".join(report.unreadable))
"""


def test_a_table_that_loops_back_is_read_once_not_forever(tmp_path: Path, pub):
    """A damaged b-tree whose last child points back at its first leaf: read by rowid, the
    same rows come back forever. Recovery once did, until the process had taken 24 GiB; now
    it carries each row once and says where the table looped. Opened in a child process with
    its memory capped, so a regression fails here rather than taking the machine."""
    import resource
    import struct
    import subprocess
    import sys

    path = tmp_path / "outbox.sqlite3"
    with Outbox.open(path, pub) as box:
        keys = {resident_item(box, image=os.urandom(600)).key for _ in range(120)}
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'outbox'").fetchone()
    (page,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    at = (root - 1) * page + (100 if root == 1 else 0)
    assert data[at] == 0x05, "the outbox table should span pages under an interior root"
    first_cell = struct.unpack(">H", data[at + 12 : at + 14])[0] + (root - 1) * page
    first_leaf = data[first_cell : first_cell + 4]
    data[at + 8 : at + 12] = first_leaf  # the right-most child: back to the first leaf
    path.write_bytes(bytes(data))

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run(
        [sys.executable, "-c", LOOPED_OPEN, str(path), str(tmp_path / "keys" / "platform_x25519.pub")],
        capture_output=True, text=True, timeout=120, preexec_fn=cap,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    counts, unreadable = done.stdout.splitlines()[:2]
    carried, pending, check = counts.split(" ", 2)
    assert int(carried) == int(pending) <= len(keys) and int(carried) > 0
    assert check == "['ok']"
    assert "loops back" in unreadable
