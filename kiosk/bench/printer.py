"""Receipt bytes and print time: native text + QR (GS ( k) against the same receipt sent as a
raster image (GS v 0), on the wire at 9600 and 115200 baud (bytes x 10 bits / baud) and measured
end to end against the virtual printer over loopback TCP."""

from __future__ import annotations

import contextlib
import io
import socket
import statistics
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from kiosk.bench import BenchResult

ORDER = 60
WIDTH = 32  # 58 mm paper
GS_R = b"\x1d\x72\x01"


def _receipt():
    from kiosk.devices.printer.receipt import Receipt

    return Receipt(
        title="社会保险参保证明申请回执",
        terminal_name="示范政务服务一体机",
        terminal_id="KIOSK-DEMO-0001",
        local_ref="KD1-20250102-000042",
        platform_ref="GW2025010200017",
        fields=(
            ("申请人", "王*明"),
            ("证件号码", "4403**********1234"),
            ("办理事项", "养老保险参保证明打印"),
            ("办理部门", "示范市社会保险事业管理中心"),
            ("联系电话", "138****5678"),
        ),  # fmt: skip
        lines=("您的申请已受理，预计3个工作日内办结，可扫码或凭受理编号查询办理进度。",),
        qr="https://example.gov.cn/progress?ref=GW2025010200017",
        qr_caption="扫码查询进度",
        footer=("请妥善保管本凭条", "服务热线 12345"),
        issued_at="2025-01-02 10:20:30",
    )


def _raster_job(native: bytes) -> bytes:
    """The same paper as one GS v 0 raster image (what image-only drivers send)."""
    from escpos.printer import Dummy

    from kiosk.devices.printer.render import MARGIN, pages_from_bytes, render_png

    png = render_png(pages_from_bytes(native, WIDTH), WIDTH)
    paper = (
        png.crop((MARGIN, MARGIN, png.width - MARGIN, png.height - MARGIN))
        .point(lambda v: 255 if v > 127 else 0)
        .convert("1")
    )
    p = Dummy()
    p._raw(b"\x1b\x40")
    with contextlib.redirect_stdout(io.StringIO()):  # escpos prints a profile warning
        p.image(paper, impl="bitImageRaster", fragment_height=960)
    p.cut()
    return bytes(p.output)


def _send(port: int, job: bytes) -> float:
    """Seconds from connect to the printer's end-of-job acknowledgement (GS r 1)."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(job + GS_R)
        if not s.recv(1):
            raise RuntimeError("virtual printer closed without acknowledging the job")
    return time.perf_counter() - start


def run(quick: bool) -> Iterable[BenchResult]:
    from kiosk.devices.base import EventHub
    from kiosk.devices.printer.adapter import ReceiptPrinter
    from kiosk.devices.printer.emulator import VirtualPrinter
    from kiosk.devices.printer.link import network_link
    from kiosk.devices.printer.receipt import encode_receipt

    receipt = _receipt()
    native = encode_receipt(receipt, WIDTH)
    raster = _raster_job(native)
    note = (
        f"{WIDTH}-char 58 mm receipt, Chinese text + native QR vs the same paper as a GS v 0 raster"
    )
    yield BenchResult.compare(
        "printer.receipt_bytes_native_vs_raster", len(native), "bytes", len(raster), note
    )
    for baud in (9600, 115200):
        yield BenchResult.compare(
            f"printer.wire_time_{baud}_native_vs_raster",
            len(native) * 10 / baud,
            "s",
            len(raster) * 10 / baud,
            "bytes x 10 bits / baud (8N1)",
        )

    repeat = 5 if quick else 30
    with (
        tempfile.TemporaryDirectory() as tmp,
        VirtualPrinter("127.0.0.1", 0, width_chars=WIDTH) as vp,
    ):
        for job in (native, raster):  # warm-up (imports, first connections)
            _send(vp.port, job)
        t_native = statistics.median(_send(vp.port, native) for _ in range(repeat))
        t_raster = statistics.median(_send(vp.port, raster) for _ in range(repeat))
        yield BenchResult.compare(
            "printer.tcp_send_native_vs_raster", t_native, "s", t_raster,
            f"median of {repeat}, loopback TCP to the virtual printer, until GS r acknowledged",
        )  # fmt: skip
        adapter = ReceiptPrinter(
            EventHub(), network_link("127.0.0.1", vp.port, 5.0), data_dir=Path(tmp)
        )
        try:
            adapter.print_receipt(receipt)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                adapter.print_receipt(receipt)
                times.append(time.perf_counter() - start)
        finally:
            adapter.stop()
        yield BenchResult.compare(
            "printer.print_receipt_vs_bare_send", statistics.median(times), "s", t_native,
            "adapter: layout + DLE EOT 1-4 before/after + GS r confirm, vs the bare native send",
        )  # fmt: skip
