"""Run by the terminal-loss tests as `python -m tests.kiosk_in_pty STAGE` with a pty as its
terminal: the real kiosk process (`run_kiosk`, its lifecycle, its terminal driver, emulated
devices, the built-in platform) driven by a scripted resident. Progress goes to the fd in
$KIOSK_MARKS_FD, one line each, so the test knows when to take the terminal away:

  mid-journey     identified, on the form, the screen repainting (长辈模式 toggled)
  acknowledged K R  the resident was shown "submitted" (transaction key K, reference R)
  mid-print       the printer has the receipt's bytes and has not confirmed it yet

  frozen / thawed  (STAGE "freeze", on SIGUSR1) the UI loop blocked for FREEZE_S, and after
  serving          (STAGE "serve") every device and the platform are up

STAGE is "journey", "print", "freeze" or "serve". The process then idles until it is stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time

from textual.pilot import Pilot

from kiosk.config import load_config
from kiosk.devices.printer.emulator import VirtualPrinter
from kiosk.devices.printer.parser import EscPosParser
from kiosk.lifecycle import Lifecycle
from kiosk.logging_setup import setup_logging
from kiosk.soak.resident import Resident
from kiosk.touchdriver import AppStopped


def mark(line: str) -> None:
    os.write(int(os.environ["KIOSK_MARKS_FD"]), f"{line}\n".encode())


def slow_to_finish(emulator: VirtualPrinter) -> threading.Event:
    """The printer takes the receipt but confirms the end of the job (GS r 1) only when it
    is switched off: the print stays in flight, its worker waiting on the printer. Returns
    an event set once the job's bytes have arrived."""
    arrived = threading.Event()
    consume = emulator.consume

    def consume_late(parser: EscPosParser, data: bytes) -> tuple[bytes, bool]:
        if b"\x1dr\x01" in data:  # the job ends with GS r 1: hold it until switched off
            arrived.set()
            emulator._stop.wait(120)
        return consume(parser, data)

    emulator.consume = consume_late  # type: ignore[method-assign]
    return arrived


FREEZE_S = 4.0
freeze_asked = threading.Event()


async def journey(pilot: Pilot[object]) -> None:
    resident = Resident(pilot.app, pilot)  # type: ignore[arg-type]
    if sys.argv[1] == "freeze":
        signal.signal(signal.SIGUSR1, lambda *_: freeze_asked.set())
        mark("armed")
        while pilot.app.is_running:
            if freeze_asked.is_set():
                freeze_asked.clear()
                mark("frozen")
                time.sleep(FREEZE_S)  # blocks the UI loop itself; other threads run on
                mark("thawed")
            await pilot.pause(0.05)
        return
    try:
        await resident.services_up()
        if sys.argv[1] == "serve":
            mark("serving")
            return
        await pilot.click("#lang-zh-Hans")
        await resident.open_service()
        await resident.identify()
        await resident.fill_form()
        if sys.argv[1] == "journey":
            mark("mid-journey")
            while True:  # keep the terminal busy: the loss lands mid-output
                await resident.tap("#chrome-elder")
        emulator = pilot.app.services.device("printer").emulator  # type: ignore[attr-defined]
        job_arrived = slow_to_finish(emulator)
        submitted = await resident.submit()
        mark(f"acknowledged {submitted.key} {submitted.local_ref}")
        await resident.until(job_arrived.is_set, "printing")
        mark("mid-print")
        while pilot.app.is_running:
            await pilot.pause(0.1)
    except AppStopped:
        return


driving: set[asyncio.Task[None]] = set()


async def start_driving(pilot: Pilot[object]) -> None:
    """Textual awaits the auto-pilot before it shuts down, and a pilot waiting on a stopped
    app can wait for ever: the resident acts in a task of its own, so the kiosk's exit is
    exactly what it is in production."""
    driving.add(asyncio.create_task(journey(pilot)))


def main() -> None:
    lifecycle = Lifecycle(hard_exit=os._exit)
    lifecycle.install_signal_handlers()
    config = load_config()
    setup_logging(config.terminal.log_path)
    from kiosk.commands.run import run_kiosk

    lifecycle.exit_now(run_kiosk(config, lifecycle, auto_pilot=start_driving))


if __name__ == "__main__":
    main()
