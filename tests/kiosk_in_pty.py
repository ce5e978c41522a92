"""Run by the terminal-loss tests as `python -m tests.kiosk_in_pty STAGE` with a pty as its
terminal: the real kiosk process (`run_kiosk`, its lifecycle, its terminal driver, emulated
devices, the built-in platform) driven by a scripted resident. Progress goes to the fd in
$KIOSK_MARKS_FD, one line each, so the test knows when to take the terminal away:

  mid-journey     identified, on the form, the screen repainting (长辈模式 toggled)
  acknowledged K R  the resident was shown "submitted" (transaction key K, reference R)
  mid-print       the printer has the receipt's bytes and has not confirmed it yet

STAGE is "journey" or "print". The process then idles until its terminal goes away.
"""

from __future__ import annotations

import os
import sys
import threading

from textual.pilot import Pilot

from kiosk.config import load_config
from kiosk.devices.printer.emulator import VirtualPrinter
from kiosk.devices.printer.parser import EscPosParser
from kiosk.lifecycle import Lifecycle
from kiosk.logging_setup import setup_logging
from kiosk.soak.resident import AppStopped, Resident


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


async def journey(pilot: Pilot[int]) -> None:
    resident = Resident(pilot.app, pilot)  # type: ignore[arg-type]
    try:
        await resident.services_up()
        await pilot.click("#lang-zh-Hans")
        await resident.identify_for()
        if sys.argv[1] == "journey":
            await resident.until(lambda: pilot.app.screen.query("#form-submit"), "form")
            mark("mid-journey")
            while True:  # keep the terminal busy: the loss lands mid-output
                await resident.tap("#chrome-elder")
        emulator = pilot.app.services.device("printer").emulator  # type: ignore[attr-defined]
        job_arrived = slow_to_finish(emulator)
        submitted = await resident.submit_form()
        mark(f"acknowledged {submitted.key} {submitted.local_ref}")
        await resident.until(job_arrived.is_set, "printing")
        mark("mid-print")
        while pilot.app.is_running:
            await pilot.pause(0.1)
    except AppStopped:
        return


def main() -> None:
    lifecycle = Lifecycle(hard_exit=os._exit)
    lifecycle.install_signal_handlers()
    config = load_config()
    setup_logging(config.terminal.log_path)
    from kiosk.commands.run import run_kiosk

    lifecycle.exit_now(run_kiosk(config, lifecycle, auto_pilot=journey))


if __name__ == "__main__":
    main()
