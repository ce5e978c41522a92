"""Outbox benchmarks, side by side with persist-queue 1.1.0's SQLiteAckQueue in the same run.

- enqueue of the SAME sealed item at the same durability: a realistic application (1 KiB form
  + 30 KiB JPEG, base64 in JSON) sealed to the platform key (HPKE) on both sides; ours stores
  it with enqueue (WAL, synchronous=FULL), persist-queue gets the sealed item (key, kind,
  stream, display, kid, blob) with WAL + synchronous=FULL on its own connections. Timed
  interleaved, 50 at a time, so drift on a busy machine hits both.
- drain of a backlog of 1 KiB items (10,000 and 100,000; --quick: 10,000) to the reference
  platform running in a process of its own: our SyncWorker vs a persist-queue loop (get a
  batch, POST it through the same signed client, ack each) on a fresh platform.
- a resident's enqueue while a backlog drains (p99), against the same enqueue idle.
- RSS before the drain (baseline) and its peak while draining (psutil, sampled every 5 ms).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kiosk.bench import BenchResult
from kiosk.bench._platform_process import platform_process

ORDER = 60
DRAIN_BATCH = 1000  # what the terminal sends per request (kiosk.config OutboxConfig default)
TERMINAL_ID = "KIOSK-DEMO-0001"  # the reference platform's demo terminal


def run(quick: bool) -> Iterable[BenchResult]:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-outbox-") as tmp:
        root = Path(tmp)
        yield from _enqueue(root, 200 if quick else 2000)
        for n in (10_000,) if quick else (10_000, 100_000):
            yield from _drain(root / f"drain-{n}", n)
        yield from _enqueue_while_draining(root / "busy", 10_000 if quick else 100_000)


def _secret() -> str:
    from kiosk.demo import DEMO_TERMINAL_SECRET

    return DEMO_TERMINAL_SECRET


# ---- enqueue ------------------------------------------------------------------------------


def _application() -> tuple[dict[str, str], dict[str, str]]:
    """(display, personal) of a realistic application: 1 KiB form + 30 KiB face image."""
    form = os.urandom(512).hex()
    face = base64.b64encode(os.urandom(30 * 1024)).decode()
    return {"service": "SB001", "masked_name": "测*一"}, {"form": form, "face_jpeg": face}


def _enqueue(root: Path, n: int) -> Iterable[BenchResult]:
    from kiosk.offline.crypto import generate_keypair, seal
    from kiosk.offline.outbox import Outbox

    root.mkdir(parents=True, exist_ok=True)
    key = generate_keypair(root / "k", root / "k.pub").public_key()
    display, personal = _application()
    box = Outbox.open(root / "ours.sqlite3", key)
    queue = _persist_queue(root / "pq")

    def ours() -> None:
        box.enqueue(str(uuid.uuid4()), "application", "bench", display, personal)

    def theirs() -> None:  # the same work: JSON, seal to the same key, store durably
        k = str(uuid.uuid4())
        plaintext = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = seal(key, plaintext, bind=k)
        display_json = json.dumps(display, ensure_ascii=False, separators=(",", ":"))
        queue.put({"key": k, "kind": "application", "stream": "bench", "display": display_json,
                   "kid": sealed.kid, "blob": sealed.blob})  # fmt: skip

    ours_lat, theirs_lat = _interleaved(ours, theirs, n)
    box.close()
    queue.close()
    ours_rate, theirs_rate = n / sum(ours_lat), n / sum(theirs_lat)
    note = "31 KiB application sealed (HPKE) on both sides; WAL+FULL; baseline: persist-queue"
    yield BenchResult.compare("outbox.enqueue_rate", ours_rate, "items/s", theirs_rate, note)
    yield BenchResult.compare("outbox.enqueue_p50", _pct(ours_lat, 50) * 1000, "ms",
                              _pct(theirs_lat, 50) * 1000, note)  # fmt: skip
    yield BenchResult.compare("outbox.enqueue_p99", _pct(ours_lat, 99) * 1000, "ms",
                              _pct(theirs_lat, 99) * 1000, note)  # fmt: skip


def _persist_queue(path: Path) -> Any:
    from persistqueue import SQLiteAckQueue

    queue = SQLiteAckQueue(str(path), auto_commit=True, multithreading=True)
    for conn in {id(c): c for c in (queue._conn, queue._putter) if c is not None}.values():
        conn.execute("PRAGMA synchronous=FULL")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = conn.execute("PRAGMA synchronous").fetchone()[0]
        if (mode, sync) != ("wal", 2):
            raise RuntimeError(f"persist-queue connection is {mode}/{sync}, not wal/FULL")
    return queue


def _interleaved(
    a: Callable[[], None], b: Callable[[], None], n: int, chunk: int = 50
) -> tuple[list[float], list[float]]:
    for _ in range(min(20, n)):  # warm up
        a()
        b()
    out_a: list[float] = []
    out_b: list[float] = []
    while len(out_a) < n:
        for fn, out in ((a, out_a), (b, out_b)):
            for _ in range(min(chunk, n - len(out))):
                start = time.perf_counter()
                fn()
                out.append(time.perf_counter() - start)
    return out_a, out_b


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


def _backlog(root: Path, data_dir: Path, n: int) -> Any:
    from kiosk.offline.crypto import load_public_key
    from kiosk.offline.outbox import Outbox

    key = load_public_key(data_dir / "platform_x25519.pub")
    box = Outbox.open(root / "drain.sqlite3", key)
    form = {"form": os.urandom(400).hex()}  # ~1 KiB item once sealed and encoded
    for start in range(0, n, 1000):
        box.enqueue_many(
            (str(uuid.uuid4()), "audit", f"s{i % 50}", {"i": i}, form)
            for i in range(start, min(n, start + 1000))
        )
    return box


def _drain(root: Path, n: int) -> Iterable[BenchResult]:
    import psutil

    from kiosk.config import OutboxConfig
    from kiosk.offline.sync import SyncWorker
    from kiosk.platform.client import PlatformClient

    root.mkdir(parents=True)
    with platform_process(root / "platform-ours") as url:
        box = _backlog(root, root / "platform-ours", n)
        client = PlatformClient(url, TERMINAL_ID, _secret(), timeout=30)
        worker = SyncWorker(box, client, OutboxConfig(batch_max_items=DRAIN_BATCH))
        rss_before = psutil.Process().memory_info().rss
        with _PeakRss() as rss:
            began = time.perf_counter()
            report = worker.sync_now()
            elapsed = time.perf_counter() - began
        if report.error or report.delivered != n:
            raise RuntimeError(f"drain incomplete: {report}")
        client.close()
        box.close()
    ours = n / elapsed

    n_pq = max(1000, n // 10)  # its get() slows with the backlog: a smaller one (flatters it)
    with platform_process(root / "platform-pq") as url:
        from kiosk.offline.crypto import load_public_key

        key = load_public_key(root / "platform-pq" / "platform_x25519.pub")
        client = PlatformClient(url, TERMINAL_ID, _secret(), timeout=30)
        queue = _persist_queue(root / "pq-drain")
        for item in _wire_items(key, n_pq, {"form": os.urandom(400).hex()}):
            queue.put(item)
        theirs = _drain_persist_queue(queue, client)
        client.close()
        queue.close()

    note = (f"{n} x 1 KiB, batch {DRAIN_BATCH}, reference platform in its own process on "
            f"loopback; baseline: persist-queue get/POST/ack of {n_pq}")  # fmt: skip
    yield BenchResult.compare(f"outbox.drain_rate_{n // 1000}k", ours, "items/s", theirs, note)
    yield BenchResult.compare(f"outbox.drain_peak_rss_{n // 1000}k", rss.peak / 2**20, "MiB",
                              rss_before / 2**20, "baseline: RSS before the drain")  # fmt: skip


def _drain_persist_queue(queue: Any, client: Any) -> float:
    from persistqueue import Empty

    began = time.perf_counter()
    drained = 0
    while True:
        batch = []
        for _ in range(DRAIN_BATCH):
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
    return drained / (time.perf_counter() - began)


def _wire_items(key: Any, n: int, personal: dict[str, Any]) -> list[dict[str, Any]]:
    """The same items on the wire for the persist-queue side (sealed once, like ours)."""
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


# ---- a resident's enqueue while a backlog drains ---------------------------------------------


def _enqueue_while_draining(root: Path, n: int) -> Iterable[BenchResult]:
    from kiosk.config import OutboxConfig
    from kiosk.offline.sync import SyncWorker
    from kiosk.platform.client import PlatformClient

    root.mkdir(parents=True)
    display, personal = _application()
    with platform_process(root / "platform") as url:
        box = _backlog(root, root / "platform", n)

        def enqueue() -> float:
            start = time.perf_counter()
            box.enqueue(str(uuid.uuid4()), "application", "resident", display, personal)
            return time.perf_counter() - start

        box.checkpoint_now()  # the bulk load's WAL is not the baseline's business
        idle = []
        for _ in range(200):  # at the same pace as below
            idle.append(enqueue())
            time.sleep(0.01)
        client = PlatformClient(url, TERMINAL_ID, _secret(), timeout=30)
        worker = SyncWorker(box, client, OutboxConfig(batch_max_items=DRAIN_BATCH))
        worker.start()
        busy: list[float] = []
        try:
            while box.pending_count() > 0 or not busy:
                busy.append(enqueue())
                time.sleep(0.01)  # residents are slower than this
        finally:
            worker.stop()
            client.close()
            box.close()
    note = (
        f"31 KiB application enqueued every 10 ms while {n} items drain (platform in "
        f"its own process); baseline: the same enqueue with no drain; {len(busy)} samples"
    )
    yield BenchResult.compare("outbox.enqueue_p99_while_draining", _pct(busy, 99) * 1000, "ms",
                              _pct(idle, 99) * 1000, note)  # fmt: skip
