"""Log records to the systemd journal over its native protocol, as structured fields.

Under systemd the kiosk's stdout and stderr are its terminal (the screen), so logs cannot
go there; the journal's datagram socket takes one record per datagram as KEY=VALUE lines
(values with a newline in the length-prefixed binary form). `journalctl -u kiosk` then
shows each record with its priority, and `journalctl KIOSK_SESSION=…` finds the fields.
Personal data is scrubbed as in the JSON file log (kiosk.privacy.scrub). Stdlib only: the
python-systemd binding needs libsystemd headers and a C build for what is a few lines here.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import struct
from collections.abc import Mapping
from pathlib import Path

from kiosk.privacy import scrub

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_PRIORITY = {"CRITICAL": 2, "ERROR": 3, "WARNING": 4, "INFO": 6, "DEBUG": 7}


def _field(key: str, value: str) -> bytes:
    data = value.encode("utf-8", "replace")
    if b"\n" in data:  # binary form: KEY\n, little-endian 64-bit length, data, \n
        return key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return key.encode() + b"=" + data + b"\n"


def field_name(name: str) -> str:
    """Journal field names: upper case letters, digits and underscores, not leading '_'."""
    return "KIOSK_" + re.sub(r"[^A-Z0-9_]", "_", name.upper())[:56]


class JournalHandler(logging.Handler):
    def __init__(self, address: str = JOURNAL_SOCKET, identifier: str = "kiosk") -> None:
        super().__init__()
        self.address, self.identifier = address, identifier
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.setblocking(False)  # a busy journal drops a record, never stalls the UI

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = [
                _field("MESSAGE", scrub(record.getMessage())),
                _field("PRIORITY", str(_PRIORITY.get(record.levelname, 6))),
                _field("SYSLOG_IDENTIFIER", self.identifier),
                _field("LOGGER", record.name),
                _field("CODE_FILE", record.pathname),
                _field("CODE_LINE", str(record.lineno)),
                _field("CODE_FUNC", record.funcName),
            ]
            for key, value in vars(record).items():
                if key not in _STANDARD and not key.startswith("_"):
                    fields.append(_field(field_name(key), scrub(str(value))))
            if record.exc_info:
                fields.append(_field("KIOSK_EXC", scrub(logging.Formatter().formatException(
                    record.exc_info))))  # fmt: skip
            self.sock.sendto(b"".join(fields), self.address)
        except OSError:
            pass  # journal away or full: the JSON file log still has it
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self.sock.close()
        super().close()


def journal_wanted(environ: Mapping[str, str] = os.environ) -> str | None:
    """The journal socket to log to: under systemd (it sets $INVOCATION_ID for the unit's
    processes), or where $KIOSK_JOURNAL_SOCKET says."""
    address = environ.get("KIOSK_JOURNAL_SOCKET")
    if address:
        return address
    if environ.get("INVOCATION_ID") and Path(JOURNAL_SOCKET).exists():
        return JOURNAL_SOCKET
    return None


def add_journal_handler(level: int = logging.INFO) -> JournalHandler | None:
    address = journal_wanted()
    if address is None:
        return None
    handler = JournalHandler(address)
    handler.setLevel(level)
    logging.getLogger().addHandler(handler)
    return handler
