#!/usr/bin/env -S python3 -I
"""暂停服务: what the screen shows when the kiosk cannot start (a broken config, a damaged
install), instead of a shell or a black screen.

Standard library only, run by the system's python3 with -I: it must work when the kiosk's
own package or virtualenv is what is broken. It reads the maintainer's phone number from
$KIOSK_TERMINAL__MAINTAINER_PHONE, else `terminal.maintainer_phone` in $KIOSK_CONFIG (even
from a file tomllib refuses), keeps the screen drawn, tells systemd it is up (READY=1 and
watchdog pings, so the unit is not restarted into the same failure), and exits after
--retry-after seconds so the launcher can try the kiosk again.

  python3 -I deploy/out_of_service.py [--why TEXT] [--retry-after SECONDS]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
import time
import unicodedata

TITLE = "暂停服务"
LINES = (
    "本机暂时无法提供服务，请到人工窗口办理。",
    "Out of service. Please go to a staffed counter.",
)
CALL = "维护电话 Maintenance: {phone}"
NO_PHONE = "请联系工作人员 Please ask a member of staff"


def maintainer_phone(environ: dict[str, str]) -> str:
    phone = environ.get("KIOSK_TERMINAL__MAINTAINER_PHONE", "").strip()
    if phone:
        return phone
    path = environ.get("KIOSK_CONFIG", "/etc/kiosk/kiosk.toml")
    try:
        with open(path, "rb") as f:
            raw = f.read(1 << 20)
    except OSError:
        return ""
    try:
        import tomllib

        terminal = tomllib.loads(raw.decode("utf-8")).get("terminal", {})
        return str(terminal.get("maintainer_phone", "")).strip()
    except (ValueError, UnicodeDecodeError):  # the broken config may be why we are here
        found = re.search(rb'^\s*maintainer_phone\s*=\s*"([^"\n]{1,40})"', raw, re.M)
        return found.group(1).decode("utf-8", "replace").strip() if found else ""


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def screen(phone: str, why: str, cols: int, rows: int) -> str:
    """The whole screen as terminal output: white on dark red, centred, cursor hidden."""
    body = [TITLE, "", *LINES, "", CALL.format(phone=phone) if phone else NO_PHONE]
    if why:
        body += ["", why]
    top = max(0, (rows - len(body)) // 2)
    out = ["\x1b[?25l\x1b[?1049h\x1b[48;5;88m\x1b[97m\x1b[2J"]
    for n, line in enumerate(body):
        bold = "\x1b[1m" if n == 0 else "\x1b[22m"
        out.append(f"\x1b[{top + n + 1};{max(1, (cols - width(line)) // 2 + 1)}H{bold}{line}")
    return "".join(out)


class Notify:
    """sd_notify over $NOTIFY_SOCKET (kiosk/sdnotify.py is not importable from here)."""

    def __init__(self, environ: dict[str, str]) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = environ.get("WATCHDOG_USEC", "")
        self.interval = int(usec) / 2e6 if usec.isdigit() and int(usec) else None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if self.address else None

    def send(self, text: str) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.sendto(text.encode(), self.address)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--why", default="", help="one line for the technician")
    parser.add_argument("--retry-after", type=float, default=600.0, metavar="SECONDS")
    args = parser.parse_args()
    environ = dict(os.environ)
    phone = maintainer_phone(environ)
    notify = Notify(environ)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(0))
    notify.send(f"READY=1\nSTATUS=out of service: the kiosk cannot start ({args.why})")
    deadline = time.monotonic() + args.retry_after
    while time.monotonic() < deadline:
        cols, rows = shutil.get_terminal_size((80, 24))
        try:  # redrawn every few seconds: a resize or a stray write never stays on screen
            sys.stdout.write(screen(phone, args.why, cols, rows))
            sys.stdout.flush()
        except OSError:  # the terminal is gone: nothing left to show
            return 1
        notify.send("WATCHDOG=1")
        time.sleep(min(notify.interval or 5.0, 5.0))
    notify.send("STOPPING=1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
