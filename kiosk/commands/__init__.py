"""One module per `kiosk` subcommand; see kiosk/cli.py."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiosk.config import KioskConfig, load_config


def config_from(args: argparse.Namespace) -> KioskConfig:
    """The config named by --config / $KIOSK_CONFIG, else the embedded defaults."""
    return load_config(getattr(args, "config", None))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
