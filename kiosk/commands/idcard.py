"""`kiosk idcard`: decode captured SAM frames, read a card, run an emulated reader."""

from __future__ import annotations

import argparse
import sys

from kiosk.commands import config_from, fail, print_json

CARD_TYPES = ("resident", "hk_mo_tw_permit", "foreign_2017", "foreign_2023")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("idcard", help="ID card reader: decode frames, read a card, emulate")
    isub = p.add_subparsers(dest="idcard_command", metavar="ACTION", required=True)

    d = isub.add_parser("decode", help="decode captured SAM frames (hex) to JSON")
    d.add_argument("hex", nargs="*", help="hex bytes (spaces/colons allowed); stdin if omitted")
    d.add_argument("--reveal", action="store_true", help="show personal fields in clear")
    d.set_defaults(handler=handle_decode)

    r = isub.add_parser("read", help="read the card on the configured reader (masked JSON)")
    r.add_argument("--port", help="serial port or pyserial URL (overrides the config)")
    r.add_argument("--baud", type=int, help="baud rate (overrides the config)")
    r.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")
    r.add_argument("--fingerprints", action="store_true", help="read fingerprints too (30 10)")
    r.add_argument("--demo-card", choices=CARD_TYPES, help="emulated reader: place this card")
    r.add_argument("--reveal", action="store_true", help="show personal fields in clear")
    r.set_defaults(handler=handle_read)

    e = isub.add_parser("emulate", help="run a SAM emulator on a pty until Ctrl-C")
    e.add_argument("--card", choices=CARD_TYPES, help="card placed on the emulated reader")
    e.add_argument("--baud", type=int, default=115200)
    e.add_argument("--link", help="also make this symlink to the pty (like /dev/serial/by-id)")
    e.set_defaults(handler=handle_emulate)


def handle_decode(args: argparse.Namespace) -> int:
    from kiosk.devices.idcard.decode import HexError, decode_bytes, parse_hex

    text = " ".join(args.hex) if args.hex else sys.stdin.read()
    try:
        data = parse_hex(text)
    except HexError as exc:
        return fail(str(exc), 2)
    result = decode_bytes(data, reveal=args.reveal)
    if result.frames:
        print_json(result.to_json())
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error['error']}: {error['message']}", file=sys.stderr)
    return 0 if result.ok else 1


def handle_read(args: argparse.Namespace) -> int:
    from kiosk.devices import idcard
    from kiosk.devices.base import DeviceError, EventHub

    config = config_from(args)
    section = config.devices.idcard
    if args.port:
        section = section.model_copy(update={"mode": "serial", "port": args.port})
    if args.baud:
        section = section.model_copy(update={"baudrate": args.baud})
    if section.mode == "off":
        return fail("the ID card reader is off in the config (devices.idcard.mode)")
    if args.demo_card and section.mode != "emulated":
        return fail("--demo-card needs the emulated reader (devices.idcard.mode = 'emulated')")
    reader = idcard.create(section, EventHub(), config.terminal.data_path)
    reader.start()
    try:
        if not reader.wait_ready(min(args.timeout, 10)):
            return fail(f"reader not ready: {reader.health().message}")
        if args.demo_card and reader.emulator is not None:
            reader.emulator.place_card(args.demo_card)
        try:
            card = reader.read_card(args.timeout, fingerprints=args.fingerprints)
        except DeviceError as exc:
            return fail(f"{exc.code}: {exc}")
        data = card.to_dict(reveal=args.reveal)
        data["masked"] = not args.reveal
        data["reader"] = reader.health().details
        print_json(data)
        card.wipe()
        return 0
    finally:
        reader.stop()


def handle_emulate(args: argparse.Namespace) -> int:
    import signal
    import threading

    from kiosk.devices.idcard.emulator import SamEmulator

    try:
        emulator = SamEmulator(baudrate=args.baud, link=args.link).start()
    except (ValueError, OSError) as exc:
        return fail(str(exc))
    if args.card:
        emulator.place_card(args.card)
    print(f"SAM emulator on {emulator.port} at {args.baud} baud", flush=True)
    print("card: " + (args.card or "none") + "; Ctrl-C stops it", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())  # a service manager's stop
    try:
        done.wait()
    finally:
        emulator.stop()
    return 0
