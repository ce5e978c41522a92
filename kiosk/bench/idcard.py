"""ID card reader benchmarks: read time over the serial wire time, and decode time.

A pty has no baud rate, so the SAM emulator paces its writes to the configured rate
(10 bits per byte, 8N1) and waits each command's wire time before answering: the baseline
wire time is then what a real UART would take for the same bytes, both directions.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kiosk.bench import BenchResult, median_time

ORDER = 40

BITS_PER_BYTE = 10  # start + 8 data + stop


def _read_bytes() -> tuple[int, int]:
    """Bytes of find -> select -> read (30 01): (host to SAM, SAM to host)."""
    from kiosk.devices.idcard import frames as fr
    from kiosk.devices.idcard.commands import Command
    from kiosk.devices.idcard.synthetic import demo_card

    sent = sum(len(c.frame) for c in (Command.FIND, Command.SELECT, Command.READ))
    replies = (
        fr.build_reply(fr.FIND_OK, bytes(4)),
        fr.build_reply(fr.OK, bytes(8)),
        fr.build_reply(fr.OK, demo_card("resident").read_data(False)),
    )
    return sent, sum(len(r) for r in replies)


def _read_time(baudrate: int, pace: bool, repeat: int) -> float:
    from kiosk.devices.base import EventHub
    from kiosk.devices.idcard.emulator import SamEmulator
    from kiosk.devices.idcard.reader import IdCardReader

    with SamEmulator(baudrate=baudrate, pace=pace) as emulator:
        # Polling far apart, so only the read is on the wire while it is timed.
        reader = IdCardReader(EventHub(), emulator.port, baudrate=baudrate, poll_interval_s=60)
        reader.start()
        try:
            if not reader.wait_ready(10):
                raise RuntimeError(f"emulated reader not ready: {reader.health().message}")
            emulator.place_card("resident")
            reader.read_card(appended_address=False)  # warm-up
            return median_time(lambda: reader.read_card(appended_address=False), repeat)
        finally:
            reader.stop()


def run(quick: bool) -> Iterable[BenchResult]:
    from kiosk.devices.idcard import frames as fr
    from kiosk.devices.idcard.card import IdCard
    from kiosk.devices.idcard.commands import parse_read_payload
    from kiosk.devices.idcard.synthetic import demo_card

    sent, received = _read_bytes()
    total = sent + received
    bauds = [115200] if quick else [115200, 9600]
    repeat = 5 if quick else 15
    for baud in bauds:
        wire = total * BITS_PER_BYTE / baud
        measured = _read_time(baud, pace=True, repeat=repeat if baud > 9600 else 3)
        suffix = "" if baud == 115200 else f"_{baud}"
        yield BenchResult.compare(
            f"idcard.read_overhead{suffix}",
            measured * 1000,
            "ms",
            wire * 1000,
            note=f"find+select+read 30 01 at {baud} baud over a pty, emulator paced to the baud "
            f"rate; baseline = wire time of {total} bytes ({sent} out, {received} in) at 10 bits/byte",
        )
    unpaced = _read_time(115200, pace=False, repeat=repeat)
    wire = total * BITS_PER_BYTE / 115200
    yield BenchResult.compare(
        "idcard.read_unpaced",
        unpaced * 1000,
        "ms",
        wire * 1000,
        note="same read with the emulator unpaced: software + pty cost alone vs the 115200 wire time",
    )

    frame = fr.build_reply(fr.OK, demo_card("foreign_2023").read_data(False))

    def decode() -> None:
        deframer = fr.Deframer()
        deframer.feed(frame)
        got = deframer.next_frame()
        assert got is not None  # the whole frame was fed
        reply = fr.Reply.from_frame(got)
        IdCard.from_payload(parse_read_payload(reply.data, False)).masked()

    n = 200 if quick else 2000
    start = time.perf_counter()
    for _ in range(n):
        decode()
    per_frame = (time.perf_counter() - start) / n
    yield BenchResult.compare(
        "idcard.decode_per_frame",
        per_frame * 1e6,
        "us",
        len(frame) * BITS_PER_BYTE / 115200 * 1e6,
        note=f"deframe + parse + masked view of one {len(frame)}-byte 30 01 reply; "
        "baseline = that reply's wire time at 115200 baud",
    )
