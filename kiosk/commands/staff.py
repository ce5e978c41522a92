"""`kiosk staff pin-hash`: the value for staff.pin_hash from a new staff PIN.

The demo PIN 2468 works only on the demo (built-in platform): a real terminal needs its own.
"""

from __future__ import annotations

import argparse
import sys

from kiosk.commands import fail

PBKDF2_ROUNDS = 200_000  # kiosk/screens/staff.py pin_matches uses the same


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="staff PIN tools")
    psub = p.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    q = psub.add_parser("pin-hash", help="print staff.pin_hash for a new PIN (asked, or stdin)")
    q.set_defaults(handler=pin_hash)


def pin_hash(args: argparse.Namespace) -> int:
    import getpass
    import hashlib
    import secrets

    if sys.stdin.isatty():
        pin = getpass.getpass("new staff PIN (4-12 digits): ")
        if getpass.getpass("again: ") != pin:
            return fail("the two PINs differ", 2)
    else:
        pin = sys.stdin.readline().strip()
    if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 12):
        return fail("a staff PIN is 4 to 12 digits (the pad has digits only)", 2)
    if pin == "2468":
        return fail("2468 is the public demo PIN; choose another", 2)
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PBKDF2_ROUNDS).hex()
    print(f'pin_hash = "{salt.hex()}:{digest}"  # [staff] section of kiosk.toml')
    return 0
