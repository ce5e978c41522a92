"""The A4 printer through the real CUPS stack: a private cupsd with a cups-pdf queue behind
the kiosk-pdf backend. A certificate the platform issued is printed, followed to completed,
and the PDF that cups-pdf writes is compared with the issued one by what survives the
re-rendering (page count, A4 size, the ink on each page, the QR code); faults set on the
emulated printer reach the adapter, diagnostics and the heartbeat in XFS4IoT words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.devices.a4printer.adapter import A4Printer
from kiosk.devices.base import DeviceState, EventHub
from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.testing import DEMO_ID_NUMBER, demo_jpeg


@pytest.fixture
def printer(cupsd):
    cupsd.set_faults()
    device = A4Printer(EventHub(), cupsd.host, cupsd.port, cupsd.queue, poll_interval_s=0.2)
    device.start()
    yield device
    device.stop()
    cupsd.set_faults()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """Two certificates as the platform issued them (signed PDFs)."""
    out = tmp_path_factory.mktemp("issued")
    with EmbeddedPlatform(tmp_path_factory.mktemp("platform")) as platform:
        client = PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret)
        with client:
            assert client.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())[
                "verified"
            ]
            found = {}
            for code, options in (("SB001", {"months": "36"}), ("HJ002", {"purpose": "work"})):
                issued = client.issue_certificate(DEMO_ID_NUMBER, code, options)
                path = out / f"{code}.pdf"
                path.write_bytes(client.certificate_pdf(issued))
                found[code] = (issued, path)
    return found


def pages(pdf: Path, out: Path, dpi: int = 100) -> list[np.ndarray]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(out / "p")],
                   check=True, timeout=120)  # fmt: skip
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(out.glob("p-*.png"))]


def ink_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """The share of each page's ink that lies within 2 px of the other's (both ways, worst)."""
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    ia = (a[:h, :w] < 128).astype(np.uint8)
    ib = (b[:h, :w] < 128).astype(np.uint8)
    near = np.ones((5, 5), np.uint8)
    return min((ia & cv2.dilate(ib, near)).sum() / max(ia.sum(), 1),
               (ib & cv2.dilate(ia, near)).sum() / max(ib.sum(), 1))  # fmt: skip


def pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return {
        k.strip(): v.strip()
        for k, _, v in (line.partition(":") for line in out.stdout.splitlines())
    }


def test_certificate_printed_through_cupsd_is_the_issued_document(printer, cupsd, certificates,
                                                                  tmp_path):  # fmt: skip
    issued, path = certificates["SB001"]
    before = set(cupsd.out_dir.iterdir())
    result = printer.print_pdf(path.read_bytes(), f"{issued.title} {issued.certificate_no}")
    assert result.completed, result
    (printed,) = set(cupsd.out_dir.iterdir()) - before
    assert pdfinfo(printed)["Pages"] == pdfinfo(path)["Pages"] == "2"
    assert pdfinfo(printed)["Page size"].startswith("595 x 842")  # A4 after re-rendering
    # cups-pdf re-renders through PostScript: text is not extractable any more, so compare
    # what a reader sees, page by page, and the QR code a verifier scans.
    got, want = pages(printed, tmp_path / "printed"), pages(path, tmp_path / "issued")
    assert [ink_agreement(g, w) > 0.98 for g, w in zip(got, want, strict=True)] == [True, True]
    other = pages(certificates["HJ002"][1], tmp_path / "other")
    assert ink_agreement(got[0], other[0]) < 0.9  # the comparison tells documents apart
    scanned = pages(printed, tmp_path / "scan", dpi=200)[-1]
    decoded = {
        d.detectAndDecode(scanned)[0] for d in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco())
    }
    assert issued.verify_url in decoded
    assert printer.health().details["jobs_printed"] == 1


def _until(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_paper_out_holds_the_job_until_paper_is_loaded(printer, cupsd, certificates):
    cupsd.set_faults({"media-empty-error"}, toner=60)
    job = (
        printer.submit(certificates["HJ002"][1].read_bytes(), "HJ002 paper-out test")
        if printer.status().problem is None
        else None
    )
    assert job is not None
    _until(lambda: printer.health().details.get("paper") == "out", "paper out reported")
    health = printer.health()
    assert health.state == DeviceState.USER_ERROR and "A4 paper out" in health.message
    held = printer.wait(job, timeout=1.0)
    assert held.state == "processing" and held.printer_problem == "paper_out"
    with pytest.raises(Exception, match="A4 paper out"):  # no new job while paper is out
        printer.submit(b"%PDF-1.4\n", "refused")
    cupsd.set_faults(set(), toner=60)  # staff load paper
    assert printer.wait(job, timeout=30).completed
    _until(lambda: printer.health().details.get("paper") == "full", "paper full again")
    assert printer.health().details["toner_percent"] == 60


def test_a_broken_document_fails_alone(printer):
    result = printer.print_pdf(b"%PDF-1.4\nnot really a PDF\n%%EOF\n", "broken", timeout=60)
    assert result.state in ("aborted", "stopped") and not result.completed
    assert printer.status().problem is None  # the printer is ready for the next resident


def test_toner_low_and_door_open_in_xfs4iot_words(printer, cupsd, certificates):
    cupsd.set_faults({"toner-low-report"}, toner=9)
    assert printer.print_pdf(certificates["HJ002"][1].read_bytes(), "toner").completed
    status = printer.status()
    assert (status.toner, status.toner_percent, status.problem) == ("low", 9, None)
    assert printer.health().state == DeviceState.ONLINE  # low toner still prints
    assert "toner low 9%" in printer.health().message
    cupsd.set_faults({"door-open-error"}, toner=9)
    job = printer.submit(certificates["HJ002"][1].read_bytes(), "door")
    _until(lambda: printer.health().details.get("door") == "open", "door open reported")
    assert printer.health().state == DeviceState.USER_ERROR
    cupsd.set_faults(set(), toner=80)
    assert printer.wait(job, timeout=30).completed


def test_diag_and_heartbeat_show_the_a4_printer(tmp_path):
    env = {**os.environ, "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
           "KIOSK_DEVICES__A4PRINTER__QUEUE": f"kiosk-a4-diag-{os.getpid()}",
           **{f"KIOSK_DEVICES__{k}__MODE": "off"
              for k in ("IDCARD", "SMARTCARD", "PRINTER", "CAMERA", "DOCCAM")}}  # fmt: skip
    env.pop("KIOSK_CONFIG", None)
    proc = subprocess.run([sys.executable, "-m", "kiosk", "diag", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    report = json.loads(proc.stdout)
    (a4,) = [d for d in report["devices"] if d["device"] == "a4printer"]
    assert a4["state"] == "online" and a4["details"]["paper"] == "full", a4
    assert a4["details"]["door"] == "closed" and "paper full" in a4["message"]
    assert proc.returncode == 0, proc.stderr


def test_heartbeat_carries_the_a4_printer_state(tmp_path, certificates):
    from kiosk.config import load_config
    from kiosk.platform.heartbeat import HeartbeatWorker
    from kiosk.services import Services

    env = {"KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
           **{f"KIOSK_DEVICES__{k}__MODE": "off"
              for k in ("IDCARD", "SMARTCARD", "PRINTER", "CAMERA", "DOCCAM")}}  # fmt: skip
    services = Services(load_config(environ=env))
    services.start()
    try:
        a4 = services.device("a4printer")
        assert a4 is not None
        _until(lambda: a4.health().state == DeviceState.ONLINE, "the emulated A4 printer online")
        assert isinstance(a4, A4Printer) and a4.emulator is not None
        a4.emulator.set_faults({"media-low-report"}, toner=12)
        assert a4.print_pdf(certificates["HJ002"][1].read_bytes(), "paper low").completed
        _until(lambda: a4.health().details["paper"] == "low", "paper low reported")
        HeartbeatWorker(services, services.platform, 3600).beat()
        storage = services._embedded.server.storage
        sent = storage.terminal_status(services.config.terminal.id)["last_heartbeat"]
        (entry,) = [d for d in sent["devices"] if d["device"] == "a4printer"]
        assert entry["state"] == "online"
        assert "paper low" in entry["detail"] and "toner low 12%" in entry["detail"]
    finally:
        services.stop()


def test_a_certificate_service_prints_on_a4_and_falls_back_to_a_receipt(tmp_path):
    """The journey's action for a 证明: issued by the platform, printed on the A4 printer
    through cupsd; with the A4 paper out, a receipt with the verification code and QR."""
    from kiosk.config import load_config
    from kiosk.resident import actions
    from kiosk.resident.identity import QrIdentity
    from kiosk.resident.session import ResidentSession
    from kiosk.services import Services

    env = {"KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
           **{f"KIOSK_DEVICES__{k}__MODE": "off" for k in ("IDCARD", "SMARTCARD", "CAMERA", "DOCCAM")}}  # fmt: skip
    services = Services(load_config(environ=env))
    services.start()
    try:
        a4 = services.a4printer
        assert a4 is not None and a4.emulator is not None and services.platform is not None
        _until(lambda: a4.health().state == DeviceState.ONLINE, "the A4 printer online")
        verified = services.platform.verify_identity(
            id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg()
        )
        session = ResidentSession(identity=QrIdentity.from_platform(verified["resident"]),
                                  verification_id=verified["verification_id"])  # fmt: skip
        service = services.catalog.service("HJ002")  # 户籍证明
        assert service is not None and actions.issues_certificate(service)
        session.start_service(service)
        session.answers.update({"purpose": "study", "name": "测试一"})

        def issue() -> actions.RecordResult:
            return actions.issue_and_print_certificate(
                services.platform, a4, services.printer, session, service, services.config,
                still_here=lambda: True,
            )  # fmt: skip

        before = set(a4.emulator.out_dir.iterdir())
        result = issue()
        assert result.outcome == "printed_a4" and result.title == "户籍证明"
        assert len(set(a4.emulator.out_dir.iterdir()) - before) == 1  # out of cups-pdf
        shown = dict(result.summary)
        assert shown["证明对象"].startswith("测*一") and DEMO_ID_NUMBER not in shown["证明对象"]

        a4.emulator.set_faults({"media-empty-error"})
        a4.job_timeout_s = 3  # the A4 job is held for paper: the resident gets a receipt
        fallback = issue()
        assert fallback.outcome == "printed", fallback
        printed = services.printer.emulator.jobs[-1]
        code = dict(fallback.summary)["验证码"]
        assert code in printed.text and "A4 打印机暂不可用" in printed.text
        (qr,) = printed.page.qr_payloads()
        assert qr.decode().endswith(f"/verify/{code}")
        assert DEMO_ID_NUMBER not in printed.text
    finally:
        a4 = services.a4printer
        if a4 is not None and a4.emulator is not None:
            a4.emulator.set_faults()
        services.stop()


def test_status_polls_leak_nothing(printer):
    """The adapter polls the printer's status every 2 s, day and night: 300 polls must not
    keep Python objects alive (pycups' full getPrinterAttributes kept ~55 a call: 50 KiB)."""
    import gc

    for _ in range(20):
        printer.status()
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(300):
        printer.status()
    gc.collect()
    assert sys.getallocatedblocks() - before < 1000
