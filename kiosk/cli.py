"""`kiosk` command line: `run` (default), and the technician's tools.

Each subcommand lives in kiosk/commands/<name>.py with a `register(subparsers)` function
that adds its parser and sets `handler`. Command modules keep heavy imports inside their
handlers so `kiosk --help` and the kiosk's own start stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from kiosk import __version__, allocator
from kiosk.at_rest import PRIVATE_UMASK
from kiosk.config import ConfigError

COMMANDS = (
    "run",
    "diag",
    "idcard",
    "printer",
    "smartcard",
    "camera",
    "outbox",
    "platform",
    "bench",
    "speech",
    "staff",
    "fuzz",
    "soak",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Self-service government-service terminal (政务服务一体机)"
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config file (default: $KIOSK_CONFIG, else the embedded defaults)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if importlib.util.find_spec(f"kiosk.commands.{name}") is None:
            continue
        importlib.import_module(f"kiosk.commands.{name}").register(sub)
    return parser


def _command_named(args: list[str]) -> str | None:
    """The subcommand in a command line, read before the parser is built (that imports
    every command module: too slow to do twice); None for --help and --version."""
    words = iter(args)
    for word in words:
        if word in ("-h", "--help", "--version"):
            return None
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "run"


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a process of its own (not main() called by a test)
        allocator.restart_with_jemalloc(_command_named(sys.argv[1:]), sys.orig_argv)
        allocator.settle(os.environ)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "run"])
    # Whatever a kiosk command writes (data, keys, logs) is private from its first byte;
    # restored after, for callers that run main() in their own process (tests).
    before = os.umask(PRIVATE_UMASK)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(before)


if __name__ == "__main__":
    sys.exit(main())
