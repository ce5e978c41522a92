"""Outbox benchmarks, side by side with persist-queue 1.1.0's SQLiteAckQueue in the same run.

- durable enqueue of a realistic item (1 KiB form + 30 KiB JPEG-like bytes): ours seals it
  (HPKE) and commits with WAL + synchronous=FULL; persist-queue stores the same bytes with
  WAL + synchronous=FULL set on its own connections and read back.
- drain of a backlog of 1 KiB items (100,000; --quick 10,000) to the reference platform on
  loopback: our SyncWorker vs a persist-queue loop (get 100, POST, ack each) through the same
  signed client. Fresh platform database for each, so neither sees duplicates.
- RSS before the drain (baseline) and its peak while draining (psutil, sampled every 5 ms).
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kiosk.bench import BenchResult

ORDER = 60


def run(quick: bool) -> Iterable[BenchResult]:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-outbox-") as tmp:
        root = Path(tmp)
        yield from _enqueue(root, 200 if quick else 2000)
        yield from _drain(root, 10_000 if quick else 100_000)


# ---- enqueue ------------------------------------------------------------------------------


def _enqueue(root: Path, n: int) -> Iterable[BenchResult]:
    from kiosk.offline.crypto import generate_keypair
    from kiosk.offline.outbox import Outbox

    key = generate_keypair(root / "k", root / "k.pub").public_key()
    face = os.urandom(30 * 1024)
    form = os.urandom(512).hex()  # 1 KiB of text
    face_b64 = base64.b64encode(face).decode()  # JSON carries the image as base64
    payload = form.encode() + face

    box = Outbox.open(root / "ours.sqlite3", key)

    def ours() -> None:
        box.enqueue(str(uuid.uuid4()), "application", "bench", {"service": "SB001"},
                    {"form": form, "face_jpeg": face_b64})  # fmt: skip

    queue = _persist_queue(root / "pq")

    def theirs() -> None:
        queue.put(payload)

    ours_lat = _latencies(ours, n)
    theirs_lat = _latencies(theirs, n)
    box.close()
    queue.close()
    ours_rate, theirs_rate = n / sum(ours_lat), n / sum(theirs_lat)
    note = "31 KiB item; ours sealed (HPKE) + JSON; both WAL+FULL"
    yield BenchResult.compare("outbox.enqueue_rate", ours_rate, "items/s", theirs_rate, note)
    yield BenchResult.compare("outbox.enqueue_p50", _pct(ours_lat, 50) * 1000, "ms",
                              _pct(theirs_lat, 50) * 1000, "baseline: persist-queue")  # fmt: skip
    yield BenchResult.compare("outbox.enqueue_p99", _pct(ours_lat, 99) * 1000, "ms",
                              _pct(theirs_lat, 99) * 1000, "baseline: persist-queue")  # fmt: skip


def _persist_queue(path: Path) -> Any:
    from persistqueue import SQLiteAckQueue

    queue = SQLiteAckQueue(str(path), auto_commit=True, multithreading=True)
    for conn in {id(c): c for c in (queue._conn, queue._putter)}.values():
        conn.execute("PRAGMA synchronous=FULL")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = conn.execute("PRAGMA synchronous").fetchone()[0]
        if (mode, sync) != ("wal", 2):
            raise RuntimeError(f"persist-queue connection is {mode}/{sync}, not wal/FULL")
    return queue


def _latencies(fn: Callable[[], None], n: int) -> list[float]:
    for _ in range(min(20, n)):  # warm up
        fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


# ---- drain --------------------------------------------------------------------------------


class _PeakRss:
    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _drain(root: Path, n: int) -> Iterable[BenchResult]:
    import psutil
    from persistqueue import Empty

    from kiosk.config import OutboxConfig
    from kiosk.offline.crypto import load_public_key
    from kiosk.offline.outbox import Outbox
    from kiosk.offline.sync import SyncWorker
    from kiosk.platform.client import PlatformClient
    from kiosk.platform.embedded import EmbeddedPlatform

    form = {"form": os.urandom(400).hex()}  # ~1 KiB item once sealed and encoded
    results: dict[str, float] = {}

    with EmbeddedPlatform(root / "platform-ours") as platform:
        key = load_public_key(platform.public_key_path)
        box = Outbox.open(root / "drain.sqlite3", key)
        for start in range(0, n, 1000):
            box.enqueue_many(
                (str(uuid.uuid4()), "audit", f"s{i % 50}", {"i": i}, form)
                for i in range(start, min(n, start + 1000))
            )
        client = PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret)
        worker = SyncWorker(box, client, OutboxConfig(batch_max_items=100))
        rss_before = psutil.Process().memory_info().rss
        with _PeakRss() as rss:
            began = time.perf_counter()
            report = worker.sync_now()
            elapsed = time.perf_counter() - began
        if report.error or report.delivered != n:
            raise RuntimeError(f"drain incomplete: {report}")
        results["ours"] = n / elapsed
        client.close()
        box.close()

    with EmbeddedPlatform(root / "platform-pq") as platform:
        client = PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret)
        queue = _persist_queue(root / "pq-drain")
        n_pq = max(1000, n // 5)  # its get() is ~5x slower: a smaller backlog (flatters it)
        for item in _wire_items(key, n_pq, form):
            queue.put(item)
        began = time.perf_counter()
        drained = 0
        while True:
            batch = []
            for _ in range(100):
                try:
                    batch.append(queue.get(block=False, raw=True))
                except Empty:
                    break
            if not batch:
                break
            answers = client.submit_batch([b["data"] for b in batch])
            for got, answer in zip(batch, answers, strict=True):
                if answer["status"] in ("accepted", "duplicate"):
                    queue.ack(id=got["pqid"])
            drained += len(batch)
        results["pq"] = drained / (time.perf_counter() - began)
        client.close()
        queue.close()

    note = f"{n} x 1 KiB, batch 100, in-process reference server on loopback"
    yield BenchResult.compare("outbox.drain_rate", results["ours"], "items/s", results["pq"],
                              note + f"; baseline: persist-queue get/POST/ack of {n_pq}")  # fmt: skip
    yield BenchResult.compare("outbox.drain_peak_rss", rss.peak / 2**20, "MiB", rss_before / 2**20,
                              "baseline: RSS before the drain")  # fmt: skip


def _wire_items(key: Any, n: int, personal: dict[str, Any]) -> list[dict[str, Any]]:
    """The same items on the wire for the persist-queue side (sealed once, like ours)."""
    import base64
    import json

    from kiosk.offline.crypto import seal
    from kiosk.offline.outbox import iso_utc

    out = []
    now = time.time()
    for i in range(n):
        k = str(uuid.uuid4())
        sealed = seal(key, json.dumps(personal).encode(), bind=k)
        out.append({
            "key": k, "kind": "audit", "stream": f"s{i % 50}", "seq": i // 50 + 1,
            "local_ref": f"PQ-{i:08d}", "created_at": iso_utc(now), "attempt": 0, "display": {"i": i},
            "sealed": {"kid": sealed.kid, "blob": base64.b64encode(sealed.blob).decode()},
        })  # fmt: skip
    return out
