"""`kiosk run` (the default): start the full-screen kiosk.

The process always ends through the lifecycle (kiosk/lifecycle.py): its exit status says
why (README "Exit statuses"), and it cannot outlive a clean shutdown by more than a few
seconds, whatever hangs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING

from kiosk.lifecycle import ExitStatus, Lifecycle

if TYPE_CHECKING:
    from textual.app import AutopilotCallbackType as AutoPilot

    from kiosk.config import KioskConfig

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the kiosk (default)")
    p.add_argument("--no-mouse", action="store_true", help="ignore mouse/touch input")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    # COLUMNS/LINES inherited from a launcher would pin Textual to that size (it asks
    # shutil.get_terminal_size, which prefers them) and every resize, the terminal
    # emulator's font switch for 长辈模式 included, would be ignored: the tty knows better.
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)
    lifecycle = Lifecycle(hard_exit=os._exit)
    lifecycle.install_signal_handlers()  # a SIGTERM while starting stops it too
    from kiosk.commands import config_from

    config = config_from(args)  # a broken config stops here with a clear message (status 2)
    try:
        from kiosk.journal import add_journal_handler
        from kiosk.logging_setup import setup_logging

        setup_logging(config.terminal.log_path)
        add_journal_handler()  # under systemd: the journal too (the terminal is the screen)
    except OSError as exc:  # unwritable data dir: the kiosk cannot keep its promises
        print(f"error: cannot write the logs: {exc}", file=sys.stderr)
        return int(ExitStatus.CANNOT_START)
    status = run_kiosk(config, lifecycle, mouse=config.ui.mouse and not args.no_mouse)
    lifecycle.exit_now(status)


def run_kiosk(
    config: KioskConfig,
    lifecycle: Lifecycle,
    *,
    mouse: bool = True,
    auto_pilot: AutoPilot | None = None,
) -> ExitStatus:
    """Run the kiosk on this process's terminal until it stops; stop its services; return
    why it stopped. `auto_pilot` drives it (tests that close its terminal mid-journey)."""
    try:
        from kiosk.app import KioskApp
        from kiosk.terminal_driver import KioskDriver
    except (ImportError, SyntaxError):  # a damaged install: say so, let deploy/ show 暂停服务
        log.exception("the kiosk cannot start: damaged install")
        print("error: the kiosk cannot start (damaged install); see the log", file=sys.stderr)
        return ExitStatus.CANNOT_START

    app = KioskApp(config, lifecycle=lifecycle)
    app.driver_class = KioskDriver.with_callback(
        lambda detail: lifecycle.request_exit(ExitStatus.TERMINAL_LOST, detail)
    )
    # Not asyncio.run: at its end it joins the loop's executor threads, where Textual runs
    # thread workers, and a print worker waits on the printer until the services stop it.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(app.run_async(mouse=mouse, auto_pilot=auto_pilot))
    except Exception:  # Textual itself failed (e.g. printing its error to a dead terminal)
        log.exception("the UI stopped with an error")
        lifecycle.request_exit(ExitStatus.UNHANDLED_ERROR, "UI")
    finally:
        lifecycle.arm_hard_exit()
        loop.close()  # does not wait for executor threads
        app.services.stop()  # devices, sync, outbox (its items are committed already)
    return lifecycle.exit_status(app.return_code)
