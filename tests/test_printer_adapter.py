"""The adapter talking to the virtual printer over real loopback TCP (and once over a pty)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.devices.base import DeviceError, DeviceState, EventHub, EventKind, PaperState
from kiosk.devices.printer.adapter import PrintInterrupted, ReceiptPrinter
from kiosk.devices.printer.emulator import VirtualPrinter
from kiosk.devices.printer.link import network_link, serial_link
from tests.printer_helpers import chinese_receipt, wait_until


@pytest.fixture
def vp(tmp_path: Path):
    printer = VirtualPrinter("127.0.0.1", 0, width_chars=32, output_dir=tmp_path / "paper")
    printer.start()
    yield printer
    printer.stop()


@pytest.fixture
def events():
    hub = EventHub()
    hub.seen = []  # type: ignore[attr-defined]
    hub.subscribe(hub.seen.append)  # type: ignore[attr-defined]
    return hub


def make_adapter(vp: VirtualPrinter, events: EventHub, tmp_path: Path, **kw) -> ReceiptPrinter:
    opts = dict(data_dir=tmp_path / "data", timeout_s=1.0, poll_interval_s=0.1, job_timeout_s=5.0)
    opts.update(kw)
    return ReceiptPrinter(events, network_link("127.0.0.1", vp.port, 1.0), **opts)


@pytest.fixture
def printer(vp, events, tmp_path):
    adapter = make_adapter(vp, events, tmp_path)
    yield adapter
    adapter.stop()


def kinds(events: EventHub) -> list[EventKind]:
    return [e.kind for e in events.seen]  # type: ignore[attr-defined]


def decode_qr(png) -> str:
    img = np.array(png.convert("L"))
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return text


def test_chinese_receipt_with_qr_prints_and_renders(printer, vp):
    receipt = chinese_receipt()
    result = printer.print_receipt(receipt)
    assert result.confirmed and result.paper is PaperState.FULL
    assert vp.wait_for_jobs(1)
    job = vp.jobs[0]
    assert job.complete
    text = job.text
    for expected in (
        "社会保险参保证明",
        "王*明",
        "4403**********1234",
        "养老保险参保证明打印",
        "KT1-20250102-000042",
        "受理编号：待联网后生成",
    ):
        assert expected in text
    raw = vp.received
    assert b"\x1b\x40\x1c\x26" in raw  # ESC @ then FS &: Chinese mode on at the start of the job
    assert "王*明".encode("gb18030") in raw and "申请人".encode("gb18030") in raw
    assert "申请人".encode() not in raw
    assert b"\x1d(k" in raw and b"\x1dv0" not in raw  # native QR, no raster
    assert (
        job.png_path is not None
        and job.png_path.exists()
        and job.text_path.read_text("utf-8") == text
    )
    assert decode_qr(job.png()) == receipt.qr


def test_status_mapping_for_each_state(printer, vp):
    cases = {
        ("paper_ok",): (DeviceState.ONLINE, PaperState.FULL, None),
        ("paper_low",): (DeviceState.ONLINE, PaperState.LOW, None),
        ("paper_out",): (DeviceState.USER_ERROR, PaperState.OUT, "paper_out"),
        ("paper_ok", "cover_open"): (DeviceState.USER_ERROR, PaperState.FULL, "cover_open"),
        ("cover_closed", "offline"): (DeviceState.OFFLINE, PaperState.FULL, "offline"),
        ("online", "cutter_error"): (DeviceState.HARDWARE_ERROR, PaperState.FULL, "cutter_error"),
    }
    for states, (state, paper, problem) in cases.items():
        vp.set_state(*states)
        status = printer.status()
        health = printer.health()
        assert (health.state, status.paper, status.problem) == (state, paper, problem), states
        assert health.details["paper"] == str(paper)
        assert set(health.details["status_bytes"]) == {"1", "2", "3", "4"}
    vp.set_state("cutter_ok", "paper_out")
    assert printer.health().details["status_bytes"]["4"] != "0x7E"  # cached until next query
    printer.status()
    assert printer.health().details["status_bytes"] == {
        "1": "0x1A",
        "2": "0x32",
        "3": "0x12",
        "4": "0x7E",
    }


def test_silent_printer_is_not_reported_ok(printer, vp):
    # python-escpos 3.1's paper_status() reads silence as "paper OK"; ours must not.
    vp.set_state("no_answer")
    with pytest.raises(DeviceError) as err:
        printer.status()
    assert err.value.code == "offline"
    assert printer.health().state is DeviceState.NO_DEVICE


@pytest.mark.parametrize(
    "state,code", [("paper_out", "paper_out"), ("cover_open", "cover_open"), ("offline", "offline")]
)
def test_bad_status_refuses_before_printing(printer, vp, state, code):
    vp.set_state(state)
    with pytest.raises(DeviceError) as err:
        printer.print_receipt(chinese_receipt())
    assert err.value.code == code
    assert "社会".encode("gb18030") not in vp.received  # nothing of the receipt was sent
    assert printer.pending() == []


def test_refused_receipt_can_be_kept(printer, vp):
    vp.set_state("paper_out")
    with pytest.raises(DeviceError):
        printer.print_receipt(chinese_receipt(), keep_if_refused=True)
    assert [p.cause for p in printer.pending()] == ["paper_out"]


def test_paper_out_mid_receipt_is_kept_and_reprinted_whole(printer, vp, events, tmp_path):
    printer.start()
    vp.run_out_after(150)
    receipt = chinese_receipt()
    with pytest.raises(PrintInterrupted) as err:
        printer.print_receipt(receipt)
    assert err.value.code == "print_interrupted" and err.value.cause == "paper_out"
    assert vp.jobs[-1].complete is False and "KT1-20250102-000042" not in vp.jobs[-1].text
    kept = printer.pending()
    assert [p.id for p in kept] == [err.value.pending_id] and kept[0].receipt == receipt
    # durable: another adapter on the same data_dir sees it (as after a restart)
    assert [p.id for p in make_adapter(vp, EventHub(), tmp_path).pending()] == [kept[0].id]
    with pytest.raises(DeviceError) as refused:
        printer.reprint_pending()
    assert refused.value.code == "paper_out" and len(printer.pending()) == 1

    vp.set_state("paper_ok")
    wait_until(lambda: EventKind.PAPER_OK in kinds(events), what="PAPER_OK")
    results = printer.reprint_pending()
    assert [r.reprinted for r in results] == [kept[0].id] and results[0].confirmed
    assert printer.pending() == []
    job = vp.jobs[-1]
    assert job.complete and "补打" in job.text
    for expected in ("社会保险参保证明", "王*明", "KT1-20250102-000042", "请妥善保管本凭条"):
        assert expected in job.text
    assert decode_qr(job.png()) == receipt.qr
    assert kinds(events).index(EventKind.PAPER_OUT) < kinds(events).index(EventKind.PAPER_OK)


def test_unplugged_mid_job_keeps_receipt_and_reconnects(printer, vp, events):
    printer.start()
    wait_until(lambda: printer.health().state is DeviceState.ONLINE, what="online")
    vp.unplug_after(200)
    started = time.monotonic()
    with pytest.raises(PrintInterrupted) as err:
        printer.print_receipt(chinese_receipt())
    assert time.monotonic() - started < 10  # no hang (generous; the bound is the timeouts)
    assert err.value.cause == "offline" and err.value.pending_id
    assert len(printer.pending()) == 1
    wait_until(lambda: EventKind.DEVICE_LOST in kinds(events), what="DEVICE_LOST")
    assert printer.health().state is DeviceState.NO_DEVICE
    with pytest.raises(DeviceError) as refused:
        printer.print_receipt(chinese_receipt())
    assert refused.value.code == "offline"

    vp.replug()
    wait_until(lambda: EventKind.DEVICE_REGAINED in kinds(events), what="DEVICE_REGAINED")
    assert printer.health().state is DeviceState.ONLINE
    printer.reprint_pending()
    assert printer.pending() == [] and vp.jobs[-1].complete


def test_events_on_changes_from_background_poll(printer, vp, events):
    printer.start()
    wait_until(lambda: printer.health().state is DeviceState.ONLINE, what="online")
    for state, kind in [
        ("paper_low", EventKind.PAPER_LOW),
        ("paper_out", EventKind.PAPER_OUT),
        ("paper_ok", EventKind.PAPER_OK),
        ("cover_open", EventKind.COVER_OPEN),
        ("cover_closed", EventKind.COVER_CLOSED),
    ]:
        vp.set_state(state)
        wait_until(lambda k=kind: k in kinds(events), what=str(kind))
    assert kinds(events).count(EventKind.PAPER_LOW) == 1  # once per change, not per poll
    vp.stop()
    wait_until(lambda: EventKind.DEVICE_LOST in kinds(events), what="DEVICE_LOST")


def test_pty_serial_path(tmp_path, events):
    vp = VirtualPrinter(width_chars=32)
    path = vp.serve_pty()
    adapter = ReceiptPrinter(
        events,
        serial_link(path, 115200, 1.0),
        data_dir=tmp_path,
        timeout_s=1.0,
        poll_interval_s=0.1,
    )
    try:
        assert adapter.self_test().passed
        result = adapter.print_receipt(chinese_receipt())
        assert result.confirmed
        assert vp.wait_for_jobs(1) and "王*明" in vp.jobs[0].text
        assert decode_qr(vp.jobs[0].png()) == chinese_receipt().qr
        vp.set_state("paper_out")
        with pytest.raises(DeviceError) as err:
            adapter.print_receipt(chinese_receipt())
        assert err.value.code == "paper_out"
    finally:
        adapter.stop()
        vp.stop()


def test_test_page_and_self_test(printer, vp):
    result = printer.test_page("示范终端", "KIOSK-TEST-0001")
    assert result.confirmed
    assert "打印机测试页" in vp.jobs[-1].text and "KIOSK-TEST-0001" in vp.jobs[-1].text
    test = printer.self_test()
    assert test.passed and test.details["status_bytes"]["1"] == "0x12"
    vp.set_state("paper_out")
    assert not printer.self_test().passed


def test_create_emulated_writes_receipts_under_data_dir(tmp_path, events):
    from kiosk.config import PrinterConfig
    from kiosk.devices.printer import create

    device = create(PrinterConfig(timeout_s=1.0), events, tmp_path)
    try:
        assert device.kind == "printer"
        device.print_receipt(chinese_receipt())
        pngs = list((tmp_path / "printer-emulator").glob("*.png"))
        assert (
            len(pngs) == 1
            and decode_qr(__import__("PIL.Image").Image.open(pngs[0])) == chinese_receipt().qr
        )
        assert device.health().details["emulated"] is True
    finally:
        device.stop()
    with pytest.raises(OSError):  # the adapter owned and stopped its emulator
        __import__("socket").create_connection(("127.0.0.1", device.emulator.port), timeout=1)


def test_emulator_survives_garbage_and_keeps_answering(printer, vp):
    import random
    import socket

    rng = random.Random(7)
    with socket.create_connection(("127.0.0.1", vp.port), timeout=2) as s:
        s.sendall(bytes(rng.randrange(256) for _ in range(5000)))
    # It still answers DLE EOT after the noise. The noise is parsed first (random bytes make
    # raster and barcode commands), which on a loaded machine can outlast one 1 s status
    # timeout: a few tries, as the adapter's own poll would make; a dead emulator never answers.
    for attempt in range(5):
        try:
            assert printer.status().raw
            break
        except DeviceError:
            if attempt == 4:
                raise
    vp.set_state("paper_ok", "cover_closed", "online", "cutter_ok")
    printer.print_receipt(chinese_receipt())
    assert "王*明" in vp.jobs[-1].text
