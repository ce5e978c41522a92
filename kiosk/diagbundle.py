"""The diagnostics bundle a technician or the operators' console asks for: one tar.gz with
the config (secrets removed), versions, every device's status with its raw status bytes, the
outbox, and the recent logs with personal data masked. No Textual here: the heartbeat
builds it in its own thread."""

from __future__ import annotations

import io
import json
import platform
import sys
import tarfile
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.privacy import scrub

SECRET_KEYS = ("secret", "pin_hash", "card_numbers", "password", "token", "database_url")
LOG_LINES = 2000
MAX_LOG_BYTES = 2 << 20
VERSIONED = ("textual", "httpx", "pyscard", "pyserial", "python-escpos", "opencv-python-headless",
             "cryptography", "starlette", "uvicorn", "pydantic")  # fmt: skip


def redact(value: Any, key: str = "") -> Any:
    """Config as plain JSON with every secret-looking key replaced by a marker."""
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if any(word in key for word in SECRET_KEYS):
        return "<redacted>" if value not in ("", None, []) else value
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def versions() -> dict[str, str]:
    found = {"kiosk": __version__, "python": sys.version.split()[0],
             "os": platform.platform()}  # fmt: skip
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def recent_log(log_dir: Path, lines: int = LOG_LINES) -> str:
    """The last lines of the kiosk's logs, masked again (the logger masks; this is belt and
    braces for lines written by anything else)."""
    files = sorted(log_dir.glob("kiosk.log*"), key=lambda p: p.stat().st_mtime)
    tail: list[str] = []
    for path in reversed(files):
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - MAX_LOG_BYTES))
            chunk = f.read().decode("utf-8", "replace").splitlines()
        tail = chunk + tail
        if len(tail) >= lines:
            break
    return "\n".join(scrub(line) for line in tail[-lines:]) + "\n"


def build(config: Any, devices: Iterable[dict[str, Any]], outbox: dict[str, Any]) -> bytes:
    """The bundle as tar.gz bytes."""
    parts: dict[str, bytes] = {
        "config.json": _json(redact(config.model_dump())),
        "versions.json": _json(versions()),
        "devices.json": scrub(_json(list(devices)).decode()).encode(),
        "outbox.json": _json(outbox),
        "recent.log": recent_log(config.terminal.log_path).encode()
        if config.terminal.log_path.is_dir()
        else b"",
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in parts.items():
            info = tarfile.TarInfo(f"diag-{config.terminal.id}/{name}")
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()
