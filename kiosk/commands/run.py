"""`kiosk run` (the default): start the full-screen kiosk."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the kiosk (default)")
    p.add_argument("--no-mouse", action="store_true", help="ignore mouse/touch input")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from kiosk.commands import config_from

    config = config_from(args)  # a broken config stops here with a clear message
    from kiosk.app import KioskApp
    from kiosk.logging_setup import setup_logging

    setup_logging(config.terminal.log_path)
    app = KioskApp(config)
    try:
        result = app.run(mouse=config.ui.mouse and not args.no_mouse)
    finally:
        app.services.stop()
    return int(result or app.return_code or 0)
