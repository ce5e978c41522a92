"""Structured JSON logs to a rotating file. Personal data never reaches the file in clear:
every record passes through kiosk.privacy.scrub as a last line of defence."""

from __future__ import annotations

import json
import logging
import logging.handlers
import time
from pathlib import Path

from kiosk.privacy import scrub

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = scrub(str(value)) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=lambda v: scrub(str(v)))


class _KioskLogFile(logging.handlers.RotatingFileHandler):
    """The kiosk's own log file: replaced, not doubled, when logging is set up again."""


def setup_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Send all logs to <log_dir>/kiosk.log (5 MB x 5 files). Returns the file path."""
    from kiosk.at_rest import private_dir

    private_dir(log_dir)  # the log is the first write: private from here on
    path = log_dir / "kiosk.log"
    handler = _KioskLogFile(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _KioskLogFile)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    return path
