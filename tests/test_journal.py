"""Log records reach the journal's native socket (a real datagram socket stands in for
journald) as structured fields, personal data scrubbed, multi-line values in binary form."""

from __future__ import annotations

import logging
import socket
import struct
from pathlib import Path

from kiosk.journal import JournalHandler, journal_wanted


def parse(datagram: bytes) -> dict[str, str]:
    """journald's side of the native protocol."""
    fields, rest = {}, datagram
    while rest:
        line, _, after = rest.partition(b"\n")
        if b"=" in line:
            key, _, value = line.partition(b"=")
            fields[key.decode()] = value.decode()
            rest = after
        else:
            size = struct.unpack("<Q", after[:8])[0]
            fields[line.decode()] = after[8 : 8 + size].decode()
            rest = after[8 + size + 1 :]
    return fields


def test_records_as_journal_fields(tmp_path: Path) -> None:
    journald = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journald.bind(str(tmp_path / "journal.sock"))
    journald.settimeout(5)
    handler = JournalHandler(str(tmp_path / "journal.sock"))
    log = logging.getLogger("kiosk.test_journal")
    log.addHandler(handler)
    try:
        log.warning("card read for 110105199003071234", extra={"session": "abc", "status": 5})
        first = parse(journald.recv(65536))
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            log.exception("boom")
        second = parse(journald.recv(65536))
    finally:
        log.removeHandler(handler)
        handler.close()
        journald.close()
    assert first["PRIORITY"] == "4" and first["SYSLOG_IDENTIFIER"] == "kiosk"
    assert "110105199003071234" not in first["MESSAGE"]  # masked, as in the file log
    assert first["KIOSK_SESSION"] == "abc" and first["KIOSK_STATUS"] == "5"
    assert second["PRIORITY"] == "3" and "line one\nline two" in second["KIOSK_EXC"]


def test_journal_only_under_systemd(tmp_path: Path) -> None:
    assert journal_wanted({}) is None
    assert journal_wanted({"KIOSK_JOURNAL_SOCKET": "/x"}) == "/x"
