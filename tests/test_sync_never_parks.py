"""Five ways a queue used to sit still while the resident was told "受理", each against a real
peer on loopback: a slow 429, a clock stepped back a day, a proxy's 403 page, a trickling peer
and a full disk. Plus the clock the platform refuses as stale, shown as its own state."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.config import OutboxConfig
from kiosk.offline.outbox import Outbox, OutboxFull, new_transaction_key
from kiosk.offline.sync import SyncWorker
from kiosk.platform.client import PlatformClient
from kiosk.platform.server.faults import Fault
from tests.outbox_helpers import (
    FAKE_ID,
    FAKE_NAME,
    FakeClock,
    platform_client,
    platform_public_key,
    seeded_rng,
    stored_per_key,
)

QUICK = OutboxConfig(batch_max_items=4, backoff_base_s=0.05, backoff_cap_s=0.1)


pytestmark = pytest.mark.usefixtures("no_faults_left")


def fill(box: Outbox, n: int, face: bytes = b"") -> list[str]:
    prefix = new_transaction_key()[:8]
    return [
        box.enqueue(
            new_transaction_key(),
            "application",
            f"{prefix}-resident-{i % 3}",
            {"masked_name": "欧**试"},
            {"name": FAKE_NAME, "id_number": FAKE_ID, "face": face.hex()},
        ).key
        for i in range(n)
    ]


def settle(worker: SyncWorker, rounds: int = 100) -> None:
    """Run the worker as its thread would, sleeping only as long as it asks (short here)."""
    for _ in range(rounds):
        step = worker.run_once()
        if step.outcome == "idle":
            if worker.outbox.pending_count() == 0:
                return
            time.sleep(0.05)  # items still backing off: the thread sleeps until they are due
        if step.outcome in ("failed", "waiting"):
            time.sleep(min(1.0, worker.state().retry_in_s or 0.01))
    raise AssertionError(f"worker did not drain: {worker.state()}")


# ---- 1. backoff from when the failure arrived ------------------------------------------------


def test_retry_after_counts_from_when_a_slow_429_arrived(tmp_path: Path, platform):
    box = Outbox.open(tmp_path / "o.sqlite3", platform_public_key(platform))
    fill(box, 2)
    # the platform takes 2 s to answer "429, come back in 3 s"
    platform.faults.add(Fault("latency", seconds=2, count=1))
    platform.faults.add(Fault("rate_limit", seconds=3, count=1))
    worker = SyncWorker(box, platform_client(platform, timeout=5), QUICK, rng=seeded_rng())
    assert worker.run_once().outcome == "failed"
    arrived = time.time()
    state = worker.state()
    assert "429" in (state.last_error or "")
    assert state.next_attempt_at is not None and state.next_attempt_at >= arrived + 2.9
    assert worker.run_once().outcome == "waiting"  # not one second after the answer
    settle(worker)
    assert box.pending_count() == 0
    box.close()


# ---- 2. a clock stepped back a day ----------------------------------------------------------


def test_clock_stepped_back_a_day_parks_nothing_even_across_a_restart(tmp_path: Path, platform):
    wall = FakeClock(time.time())
    path = tmp_path / "o.sqlite3"
    box = Outbox.open(path, platform_public_key(platform), clock=wall)
    keys = fill(box, 3)
    platform.faults.add(Fault("error", count=1))
    worker = SyncWorker(box, platform_client(platform), QUICK, clock=wall, rng=seeded_rng())
    assert worker.run_once().outcome == "failed"  # backing off for at most 0.1 s
    wall.advance(-86_400)  # NTP steps the terminal clock back a day
    settle(worker)
    assert box.pending_count() == 0

    more = fill(box, 3)
    platform.faults.add(Fault("error", count=1))
    assert worker.run_once().outcome == "failed"
    box.close()  # the terminal restarts ...
    wall.advance(-86_400)  # ... and its clock is stepped back another day meanwhile
    box = Outbox.open(path, platform_public_key(platform), clock=wall)
    worker = SyncWorker(box, platform_client(platform), QUICK, clock=wall, rng=seeded_rng())
    settle(worker)
    assert box.pending_count() == 0
    assert {stored_per_key(platform).get(k) for k in keys + more} == {1}
    box.close()


# ---- 3. a proxy's 403 page, and a refusal of everything -------------------------------------


@contextmanager
def answering(status: int, content_type: str, body: bytes) -> Iterator[str]:
    """A loopback HTTP server that answers every request the same way (a proxy, a portal)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_proxy_403_page_dead_letters_nothing(tmp_path: Path, platform, caplog):
    box = Outbox.open(tmp_path / "o.sqlite3", platform_public_key(platform))
    keys = fill(box, 25)
    page = b"<html><body><h1>403 Forbidden</h1>Access denied by proxy</body></html>"
    with answering(403, "text/html", page) as proxy:
        client = PlatformClient(proxy, platform.terminal_id, platform.terminal_secret, timeout=5)
        worker = SyncWorker(box, client, QUICK, rng=seeded_rng())
        for _ in range(5):
            worker.run_once(force=True)
    state = worker.state()
    assert (state.dead_letters, state.pending, state.status) == (0, 25, "offline")
    assert "not from the platform" in (state.last_error or "")
    worker.client = platform_client(platform)  # the proxy lets the terminal through again
    settle(worker)
    assert {stored_per_key(platform).get(k) for k in keys} == {1}
    box.close()


def test_a_refusal_of_every_item_is_never_applied_to_every_item(tmp_path: Path, platform):
    box = Outbox.open(tmp_path / "o.sqlite3", platform_public_key(platform))
    keys = fill(box, 8)
    refusal = b'{"error": "invalid_request", "reason": "items.0.display: unexpected field"}'
    with answering(422, "application/json", refusal) as odd_platform:
        client = PlatformClient(
            odd_platform, platform.terminal_id, platform.terminal_secret, timeout=5
        )
        worker = SyncWorker(box, client, QUICK, rng=seeded_rng())
        for _ in range(4):
            worker.run_once(force=True)
    state = worker.state()
    assert (state.dead_letters, state.pending, state.status) == (0, 8, "refused")
    assert "invalid_request" in (state.last_error or "")
    worker.client = platform_client(platform)  # the platform is fixed
    settle(worker)
    assert {stored_per_key(platform).get(k) for k in keys} == {1}
    box.close()


# ---- 4. a trickling peer --------------------------------------------------------------------


class Trickler:
    """Answers each request one byte every `every` s; records whether the client hung up."""

    RESPONSE = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n"
        b'{"results":[]}'
    )

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.cut_off_after: list[int] = []  # bytes sent when the client hung up
        self.finished = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                conn.recv(65536)  # the request (small enough for one read on loopback)
                for sent in range(len(self.RESPONSE)):
                    if self._stop.wait(self.every):
                        return
                    try:
                        conn.sendall(self.RESPONSE[sent : sent + 1])
                        # a closed peer shows up on a zero-timeout peek
                        conn.setblocking(False)
                        try:
                            if conn.recv(1, socket.MSG_PEEK) == b"":
                                raise ConnectionResetError
                        except BlockingIOError:
                            pass
                        finally:
                            conn.setblocking(True)
                            conn.settimeout(5)
                    except OSError:
                        self.cut_off_after.append(sent)
                        break
                else:
                    self.finished += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def test_a_trickling_peer_cannot_hold_a_batch(tmp_path: Path, platform):
    box = Outbox.open(tmp_path / "o.sqlite3", platform_public_key(platform))
    keys = fill(box, 3)
    trickler = Trickler(every=0.2)  # the full answer would take ~18 s; deadline 3 x 1 s
    try:
        client = PlatformClient(
            trickler.url, platform.terminal_id, platform.terminal_secret, timeout=1
        )
        worker = SyncWorker(box, client, QUICK, rng=seeded_rng())
        step = worker.run_once()
        assert step.outcome == "failed" and "timeout" in (step.error or "")
        for _ in range(50):  # the peer notices the hang-up at its next byte
            if trickler.cut_off_after:
                break
            time.sleep(0.1)
        assert trickler.finished == 0
        assert trickler.cut_off_after and trickler.cut_off_after[0] < len(Trickler.RESPONSE) // 2
    finally:
        trickler.close()
    worker.client = platform_client(platform)
    settle(worker)
    assert {stored_per_key(platform).get(k) for k in keys} == {1}
    box.close()


# ---- 5. a full disk -------------------------------------------------------------------------


def free_bytes(directory: Path) -> int:
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def fill_disk(directory: Path) -> Path:
    """Something else (a runaway log) takes every free block."""
    filler = directory / "runaway.log"
    try:
        with open(filler, "ab") as f:
            while True:
                f.write(os.urandom(4096))
                f.flush()
    except OSError:  # full (even the new file's first block may not fit)
        pass
    return filler


def test_sync_drains_a_full_disk_and_loses_nothing(tiny_fs: Path, platform):
    path = tiny_fs / "outbox.sqlite3"
    # the default reserve (2 % of this 512 KiB disk) is all there is
    box = Outbox.open(path, platform_public_key(platform), checkpoint_interval_s=0.02)
    acked: list[str] = []
    face = os.urandom(600)
    while free_bytes(tiny_fs) > 96 * 1024:  # a day of residents' applications ...
        acked += fill(box, 1, face)
        time.sleep(0.005)  # residents are not that quick: the checkpointer keeps up
    runaway = fill_disk(tiny_fs)  # ... then a runaway log takes every free block
    with pytest.raises(OutboxFull):
        for _ in range(200):  # the WAL's own space takes a few more, then it is refused
            acked += fill(box, 1, face)
    assert len(acked) >= 3  # a few applications were on the disk when it filled

    worker = SyncWorker(box, platform_client(platform), OutboxConfig(batch_max_items=20))
    report = worker.sync_now()
    assert report.error is None and report.pending == 0, report
    assert report.delivered == len(acked)
    assert {stored_per_key(platform).get(k) for k in acked} == {1}
    assert box.integrity_check() == ["ok"]
    runaway.unlink(missing_ok=True)  # staff find the runaway log; the reserve comes back
    more = fill(box, 3, face)
    assert (tiny_fs / "outbox.sqlite3.reserve").exists()
    assert worker.sync_now().delivered == 3
    assert {stored_per_key(platform).get(k) for k in more} == {1}
    box.close()


# ---- the clock the platform refuses -------------------------------------------------------


def test_a_clock_ten_minutes_ahead_is_its_own_state_and_sync_resumes_when_right(
    tmp_path: Path, platform
):
    offset = [600.0]

    def terminal_clock() -> float:
        return time.time() + offset[0]

    box = Outbox.open(tmp_path / "o.sqlite3", platform_public_key(platform), clock=terminal_clock)
    client = PlatformClient(
        platform.base_url, platform.terminal_id, platform.terminal_secret, clock=terminal_clock
    )
    worker = SyncWorker(
        box,
        client,
        OutboxConfig(backoff_base_s=60, backoff_cap_s=300),  # long backoff: no help there
        clock=terminal_clock,
        poll_interval_s=0.05,
    )
    worker.start()
    try:
        keys = fill(box, 3)
        wait_for(lambda: worker.state().status == "clock_skew")
        state = worker.state()
        assert state.clock_skew_s is not None and abs(state.clock_skew_s - 600) < 3
        assert state.clock_message() == "terminal clock 10 min ahead of the platform"
        assert state.pending == 3 and state.dead_letters == 0
        offset[0] = 0.0  # NTP corrects the clock
        wait_for(lambda: box.pending_count() == 0)
        assert worker.state().status in ("online", "syncing")
        assert worker.state().clock_message() is None
    finally:
        worker.stop()
    assert {stored_per_key(platform).get(k) for k in keys} == {1}
    box.close()


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
