"""`kiosk smartcard`: list PC/SC readers, read a social security or bank card.

In emulated mode `read` inserts a synthetic card into the virtual slot, reads it and pulls
it again, so a technician can check the whole PC/SC path (pyscard -> pcscd -> vpcd) without
a card. Output is masked unless --reveal is given.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.commands import config_from, fail, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("smartcard", help="social security / bank card reader (PC/SC)")
    cmds = p.add_subparsers(dest="smartcard_command", metavar="ACTION", required=True)

    r = cmds.add_parser("readers", help="list the PC/SC readers and card presence")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(handler=handle_readers)

    d = cmds.add_parser("read", help="read the card in the reader (social security by default)")
    d.add_argument("--bank", action="store_true", help="read a bank card's PAN and expiry")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.add_argument("--reveal", action="store_true", help="show personal data unmasked")
    d.add_argument(
        "--wait", type=float, default=0.0, metavar="S", help="wait up to S seconds for a card"
    )
    d.set_defaults(handler=handle_read)


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from kiosk.devices.base import EventHub
    from kiosk.devices.smartcard import create

    config = config_from(args)
    section = config.devices.smartcard
    if section.mode == "off":
        return section, None
    section = section.model_copy(update={"demo_card": ""})  # `read` inserts its own card
    device = create(section, EventHub(), config.terminal.data_path)
    device.start()
    device.wait_settled(timeout=12)
    return section, device


def handle_readers(args: argparse.Namespace) -> int:
    section, device = _open(args)
    if device is None:
        return fail("the smartcard reader is switched off in the config (devices.smartcard.mode)")
    try:
        health = device.health()
        test = device.self_test()
    finally:
        device.stop()
    data = {**health.to_json(), "self_test": test.to_json()}
    if args.json:
        print_json(data)
        return 0 if test.passed else 1
    print(f"mode: {section.mode}   state: {health.state}   {health.message}")
    readers = health.details.get("readers", [])
    if not readers:
        print("no PC/SC readers")
    for name in readers:
        mark = "*" if name == health.details.get("reader") else " "
        line = f" {mark} {name}"
        if name == health.details.get("reader") and test.details.get("card_present"):
            line += f"   card present, ATR {test.details.get('atr', '')}"
        print(line)
    if not test.passed:
        print(f"self-test failed: {test.message}", file=sys.stderr)
    return 0 if test.passed else 1


def handle_read(args: argparse.Namespace) -> int:
    from kiosk.devices.base import DeviceError

    section, device = _open(args)
    if device is None:
        return fail("the smartcard reader is switched off in the config (devices.smartcard.mode)")
    try:
        if section.mode == "emulated" and not device.emulator.inserted:
            from kiosk.devices.smartcard.cards import demo_card

            try:
                device.emulator.insert(demo_card("bank" if args.bank else "social_security"))
            except ConnectionError as exc:
                return fail(f"pcsc_unavailable: {exc}")
            device.wait_for_card(True, timeout=5)
        elif args.wait > 0:
            device.wait_for_card(True, timeout=args.wait)
        try:
            card = device.read_bank_card() if args.bank else device.read_social_security()
        except DeviceError as exc:
            return fail(f"{exc.code}: {exc}")
    finally:
        device.stop()
    data = card.to_json(reveal=args.reveal)
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            if key not in ("masked",):
                print(f"{key:12} {value}")
        if not args.reveal:
            print("(masked; --reveal shows the full values)")
    return 0
