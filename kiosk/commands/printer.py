"""`kiosk printer`: render captured ESC/POS, print a test page, read status, run a virtual
printer for technicians, list receipts kept for reprinting."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands import config_from, fail, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "printer", help="receipt printer tools (render, test page, status, emulator)"
    )
    cmds = p.add_subparsers(dest="printer_command", metavar="ACTION", required=True)

    r = cmds.add_parser("render", help="turn captured ESC/POS bytes into text or a PNG")
    r.add_argument("file", help="captured bytes (a file, or - for stdin)")
    r.add_argument("--png", metavar="OUT.png", help="write the paper as a PNG")
    r.add_argument("--text", action="store_true", help="print the text (default without --png)")
    r.add_argument("--width", type=int, default=None, help="characters per line (default: config)")
    r.add_argument(
        "--chinese-default",
        action="store_true",
        help="assume Chinese mode at power-on (no FS & needed)",
    )
    r.add_argument("--lenient", action="store_true", help="skip unknown bytes instead of stopping")
    r.set_defaults(handler=_render)

    t = cmds.add_parser("test-page", help="print a test page on the configured printer")
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=_test_page)

    s = cmds.add_parser("status", help="query the configured printer (DLE EOT 1..4)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=_status)

    k = cmds.add_parser("pending", help="list receipts kept for reprinting")
    k.add_argument("--json", action="store_true")
    k.set_defaults(handler=_pending)

    e = cmds.add_parser("emulate", help="run a virtual ESC/POS printer until Ctrl-C")
    e.add_argument("--host", default="127.0.0.1")
    e.add_argument("--port", type=int, default=9100)
    e.add_argument("--pty", action="store_true", help="also serve a pseudo-terminal")
    e.add_argument(
        "--state",
        action="append",
        default=[],
        help="paper_low, paper_out, cover_open, offline, ...",
    )
    e.add_argument("--out", metavar="DIR", help="save each receipt as PNG + text here")
    e.add_argument("--width", type=int, default=None)
    e.set_defaults(handler=_emulate)


def _render(args: argparse.Namespace) -> int:
    from kiosk.devices.printer.parser import EscPosError
    from kiosk.devices.printer.render import pages_from_bytes, render_png, render_text

    width = args.width or config_from(args).devices.printer.width_chars
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        return fail(f"{args.file}: {exc.strerror or exc}")
    if not data:
        return fail(f"{args.file}: empty, no ESC/POS bytes to render")
    try:
        pages = pages_from_bytes(
            data, width, strict=not args.lenient, chinese_default=args.chinese_default
        )
    except EscPosError as exc:
        return fail(
            f"{args.file} is not an ESC/POS stream this renderer understands: {exc} (--lenient skips such bytes)"
        )
    if not pages:
        return fail(f"{args.file}: nothing printable in {len(data)} bytes")
    if args.png:
        try:
            render_png(pages, width).save(args.png)
        except (OSError, ValueError) as exc:
            return fail(f"cannot write {args.png}: {exc}")
        print(f"{len(pages)} page(s) -> {args.png}", file=sys.stderr)
    if args.text or not args.png:
        sys.stdout.write(render_text(pages, width))
    return 0


def _open_printer(args: argparse.Namespace):  # -> ReceiptPrinter
    from kiosk.devices.base import EventHub
    from kiosk.devices.printer import create

    config = config_from(args)
    section = config.devices.printer
    if section.mode == "off":
        raise SystemExit(
            fail("the printer is switched off in the config (devices.printer.mode = off)")
        )
    return config, create(section, EventHub(), config.terminal.data_path)


def _test_page(args: argparse.Namespace) -> int:
    from kiosk.devices.base import DeviceError

    config, printer = _open_printer(args)
    try:
        result = printer.test_page(config.terminal.name, config.terminal.id)
        png = (
            printer.emulator.jobs[-1].png_path
            if printer.emulator and printer.emulator.jobs
            else None
        )
    except DeviceError as exc:
        return fail(f"test page not printed on {printer.link.describe}: {exc.code}: {exc}")
    finally:
        printer.stop()
    if args.json:
        print_json({"printed": True, "connection": printer.link.describe, "bytes": result.bytes_sent,
                    "confirmed": result.confirmed, "paper": str(result.paper), "png": png})  # fmt: skip
    else:
        print(
            f"test page printed on {printer.link.describe} ({result.bytes_sent} bytes, paper {result.paper})"
        )
        if png:
            print(f"emulated printer: the page is at {png}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from kiosk.devices.base import DeviceError

    _, printer = _open_printer(args)
    try:
        try:
            printer.status()
            code = 0
        except DeviceError:
            code = 1
        health = printer.health()
    finally:
        printer.stop()
    if args.json:
        print_json(health.to_json())
    else:
        d = health.details
        print(f"{health.device}: {health.state} - {health.message}")
        print(
            f"  connection: {d['connection']}  paper: {d['paper']}  pending receipts: {d['pending']}"
        )
        if d.get("status_bytes"):
            print("  DLE EOT: " + "  ".join(f"n={n} {b}" for n, b in d["status_bytes"].items()))
    return code


def _pending(args: argparse.Namespace) -> int:
    from kiosk.devices.printer.pending import PendingStore

    store = PendingStore(config_from(args).terminal.data_path / "printer-pending.json")
    items = store.list()
    if args.json:
        print_json([p.to_json() for p in items])
    else:
        if not items:
            print("no receipts waiting for reprint")
        for p in items:
            print(
                f"{p.id}  {p.cause:12}  attempts={p.attempts}  {p.receipt.title}  {p.receipt.local_ref}"
            )
    return 0


def _emulate(args: argparse.Namespace) -> int:
    import time

    from kiosk.devices.printer.emulator import VirtualPrinter

    width = args.width or config_from(args).devices.printer.width_chars
    vp = VirtualPrinter(
        args.host, args.port, width_chars=width, output_dir=Path(args.out) if args.out else None
    )
    try:
        vp.set_state(*args.state)
    except ValueError as exc:
        return fail(str(exc), 2)
    try:
        port = vp.start()
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    print(f"virtual printer on {args.host}:{port}, status bytes {vp.status_bytes()}", flush=True)
    if args.pty:
        print(f"also on pty {vp.serve_pty()}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for job in vp.jobs[seen:]:
                where = f" -> {job.png_path}" if job.png_path else ""
                print(
                    f"job {job.index}{' (incomplete)' if not job.complete else ''}{where}",
                    flush=True,
                )
                print(job.text, flush=True)
            seen = len(vp.jobs)
    except KeyboardInterrupt:
        return 0
    finally:
        vp.stop()
