"""Materials travel safely: two pages from the emulated 高拍仪 are sealed with the application
in the outbox as binary (the outbox file holds no material and no personal data in clear),
reach the platform once however often the item is sent, and an item or a queue over its
budget is refused with a clear message before anything is written."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from kiosk.devices.doccam import pipeline
from kiosk.devices.doccam.synthetic import desk_photo
from kiosk.offline.attachments import Attachment, AttachmentError, pack, unpack
from kiosk.offline.outbox import Outbox, OutboxFull, OutboxItemTooLarge
from kiosk.offline.sync import SyncWorker
from tests.outbox_helpers import platform_client, platform_public_key, reference_platform

ID_NUMBER = "11010119900101901X"


@pytest.fixture(scope="module")
def pages() -> list[Attachment]:
    scans = [pipeline.scan(desk_photo(seed, kind=0).frame) for seed in (51, 52)]
    assert all(s.ok for s in scans)
    return [Attachment(f"户口簿（第{i + 1}页）", "image/jpeg", s.jpeg or b"")
            for i, s in enumerate(scans)]  # fmt: skip


def outbox_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_container_round_trip_and_damage():
    files = [Attachment("a", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100))]
    assert unpack(pack(b'{"x":1}', files)) == (b'{"x":1}', files)
    with pytest.raises(AttachmentError):
        unpack(pack(b"{}", files)[:-3])


def test_two_pages_sealed_as_binary_arrive_once(tmp_path, pages):
    with reference_platform(tmp_path / "platform") as platform:
        path = tmp_path / "terminal" / "outbox.sqlite3"
        outbox = Outbox.open(path, platform_public_key(platform), checkpoint_interval_s=0)
        key = str(uuid.uuid4())
        personal = {"id_number": ID_NUMBER, "name": "测试一", "phone": "13800000901"}
        display = {"service_code": "HJ004", "masked_name": "测*一"}
        outbox.enqueue(key, "application", "s1", display, personal, attachments=pages)
        stored = outbox_bytes(path)
        for page in pages:  # no run of the photo, nor the resident, is in the file in clear
            for start in range(0, len(page.data) - 64, len(page.data) // 8):
                assert page.data[start : start + 64] not in stored
        assert ID_NUMBER.encode() not in stored and "测试一".encode() not in stored
        # Binary, not base64 in JSON: the sealed item is about the size of the pages.
        raw = sum(len(p.data) for p in pages)
        (size,) = outbox._conn.execute("SELECT length(sealed) FROM outbox").fetchone()
        assert raw < size < raw + 4096
        wire = [item.to_wire() for item in outbox.next_batch(10, 8_000_000)]
        with platform_client(platform) as client:
            first = client.submit_batch(wire)
            again = client.submit_batch(wire)  # a resend after a lost reply
            assert first[0]["status"] == "accepted" and again[0]["status"] == "duplicate"
            SyncWorker(outbox, client).sync_now()  # and the outbox's own drain: still once
        assert outbox.pending_count() == 0
        arrived = platform.server.storage.materials_of(key)
        assert [(m["name"], m["sha256"]) for m in arrived] == [
            (p.name, hashlib.sha256(p.data).hexdigest()) for p in pages
        ]
        outbox.close()


def test_budgets_refuse_before_anything_is_written(tmp_path, pages):
    with reference_platform(tmp_path / "platform") as platform:
        path = tmp_path / "terminal" / "outbox.sqlite3"
        outbox = Outbox.open(path, platform_public_key(platform), checkpoint_interval_s=0)
        display = {"service_code": "HJ004", "masked_name": "测*一"}
        personal = {"id_number": ID_NUMBER}
        outbox.max_item_bytes = sum(len(p.data) for p in pages) // 2
        with pytest.raises(OutboxItemTooLarge, match="Nothing was stored"):
            outbox.enqueue(str(uuid.uuid4()), "application", "s1", display, personal,
                           attachments=pages)  # fmt: skip
        assert outbox.pending_count() == 0
        outbox.max_item_bytes = 5 * 1024 * 1024
        outbox.enqueue(str(uuid.uuid4()), "application", "s1", display, personal,
                       attachments=pages[:1])  # fmt: skip
        outbox.max_total_bytes = sum(len(p.data) for p in pages) * 3 // 2
        with pytest.raises(OutboxFull, match="was not stored"):
            outbox.enqueue(str(uuid.uuid4()), "application", "s1", display, personal,
                           attachments=pages)  # fmt: skip
        assert outbox.pending_count() == 1  # the first application is still there, whole
        outbox.close()
