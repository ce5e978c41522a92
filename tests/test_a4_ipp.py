"""The status poll's own IPP Get-Printer-Attributes (kiosk/devices/a4printer/ipp.py) against
a real private cupsd: it reads what pycups reads for the same attributes, a missing queue
or a dead port is an error the adapter turns into "offline", and a garbled answer is refused
rather than read as a status."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kiosk.devices.a4printer.cupsd import PrivateCupsd
from kiosk.devices.a4printer.ipp import IppError, decode_response, get_printer_attributes
from kiosk.devices.a4printer.status import STATUS_ATTRIBUTES, status_from_ipp


def pycups_reads(cupsd: PrivateCupsd) -> dict[str, object]:
    import cups

    conn = cups.Connection(host=cupsd.host, port=cupsd.port)
    return dict(conn.getPrinterAttributes(cupsd.queue, requested_attributes=STATUS_ATTRIBUTES))


def test_reads_what_pycups_reads(cupsd: PrivateCupsd) -> None:
    ours = get_printer_attributes(cupsd.host, cupsd.port, cupsd.queue, STATUS_ATTRIBUTES)
    theirs = pycups_reads(cupsd)
    assert {"printer-state", "printer-state-reasons", "printer-is-accepting-jobs"} <= set(ours)
    # pycups gives a 1setOf as a list even of one; the status reads both shapes alike
    assert {k: v if isinstance(v, list) else [v] for k, v in ours.items()} == {
        k: v if isinstance(v, list) else [v] for k, v in theirs.items()
    }
    assert status_from_ipp(ours) == status_from_ipp(theirs)


def test_missing_queue_and_dead_port_are_errors(cupsd: PrivateCupsd, tmp_path: Path) -> None:
    with pytest.raises(IppError, match="0x0406"):  # client-error-not-found
        get_printer_attributes(cupsd.host, cupsd.port, "no-such-queue", STATUS_ATTRIBUTES)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with pytest.raises(OSError):
        get_printer_attributes("127.0.0.1", dead, cupsd.queue, STATUS_ATTRIBUTES, timeout_s=2)


@pytest.mark.parametrize(
    "garbled",
    [
        b"",
        b"HTTP/1.1 200 OK",
        b"\x02\x00\x00\x00\x00\x00\x00\x01\x04\x21\x00\x0dprinter-state\x00\x04\x00",
    ],
)
def test_garbled_answers_are_refused(garbled: bytes) -> None:
    with pytest.raises(IppError):
        decode_response(garbled)
