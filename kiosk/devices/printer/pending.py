"""Receipts that did not come out whole (paper ran out, printer lost mid-job), kept on disk
until staff reprint them. A small JSON file, replaced atomically and fsynced: a kiosk loses
power. Receipts hold only masked data, so the file holds nothing in clear.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.devices.printer.receipt import Receipt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingReceipt:
    id: str
    receipt: Receipt
    cause: str  # the DeviceError code that interrupted it: paper_out, offline, ...
    kept_at: float
    attempts: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cause": self.cause,
            "kept_at": self.kept_at,
            "attempts": self.attempts,
            "receipt": self.receipt.to_dict(),
        }


class PendingStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def add(self, receipt: Receipt, cause: str) -> str:
        item_id = time.strftime("%Y%m%d%H%M%S-") + uuid.uuid4().hex[:6]
        with self._lock:
            items = self._load()
            items.append(PendingReceipt(item_id, receipt, cause, time.time()))
            self._save(items)
        return item_id

    def list(self) -> list[PendingReceipt]:
        with self._lock:
            return self._load()

    def get(self, item_id: str) -> PendingReceipt | None:
        return next((p for p in self.list() if p.id == item_id), None)

    def remove(self, item_id: str) -> bool:
        with self._lock:
            items = self._load()
            kept = [p for p in items if p.id != item_id]
            if len(kept) == len(items):
                return False
            self._save(kept)
            return True

    def count_attempt(self, item_id: str, cause: str) -> None:
        with self._lock:
            items = self._load()
            items = [
                PendingReceipt(p.id, p.receipt, cause, p.kept_at, p.attempts + 1)
                if p.id == item_id
                else p
                for p in items
            ]
            self._save(items)

    def __len__(self) -> int:
        return len(self.list())

    def _load(self) -> builtins.list[PendingReceipt]:  # `list` here is the method above
        try:
            raw = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(raw)
            return [
                PendingReceipt(
                    d["id"],
                    Receipt.from_dict(d["receipt"]),
                    d["cause"],
                    d["kept_at"],
                    d.get("attempts", 0),
                )
                for d in data["pending"]
            ]
        except Exception as exc:  # keep the unreadable file for a technician, start afresh
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            os.replace(self.path, aside)
            log.error(
                "pending receipts file unreadable (%s); moved to %s", type(exc).__name__, aside
            )
            return []

    def _save(self, items: builtins.list[PendingReceipt]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = {"version": 1, "pending": [p.to_json() for p in items]}
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
