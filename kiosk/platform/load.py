"""Load generator for the reference platform: N simulated terminals against running server
processes on loopback, each sending a signed heartbeat every 60 s, and applications, 好差评
ratings and identity checks at per-terminal rates. One asyncio loop drives every terminal
over a small pool of keep-alive connections with a minimal HTTP/1.1 client (an HTTP library
per request would cost more CPU than the server it measures on a 2-core machine).

Bounded on purpose: loopback only, at most MAX_TERMINALS terminals and MAX_MINUTES minutes.
Latency is measured from writing the request to reading the reply; the scheduler's own lag
is reported too, so a run where the generator could not keep up says so."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import random
import statistics
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.offline import crypto
from kiosk.platform.signing import Ed25519Signer, sign_request
from kiosk.platform.testing import DEMO_ID_NUMBER, demo_jpeg

MAX_TERMINALS = 50_000
MAX_MINUTES = 30.0
LOOPBACK = ("127.0.0.1", "::1", "localhost")
HEARTBEAT_S = 60.0
P99_GOAL_MS = 200.0
WARMUP_S = 10.0
DEVICES = ("idcard", "smartcard", "printer", "camera")


@dataclass(frozen=True)
class Rates:
    """Per terminal per minute: a busy service-hall terminal serves a resident every ten
    minutes or so; most rate, a few of them badly; a third of the services need a face check."""

    submissions: float = 0.1
    ratings: float = 0.08
    identity: float = 0.03
    bad_rating_share: float = 0.03


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    max_lag_s: float = 0.0
    sent: int = 0  # every request, counted or not

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def fail(self, kind: str, why: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {why}"[:300])


@dataclass(frozen=True)
class LoadReport:
    terminals: int
    minutes: float
    requests: dict[str, int]
    errors: dict[str, int]
    error_samples: list[str]
    heartbeat_p50_ms: float
    heartbeat_p99_ms: float
    heartbeat_max_ms: float
    health_p99_ms: float  # a no-op request under the same load: the baseline
    max_lag_s: float
    # CPU the servers and PostgreSQL spent per request (all kinds): capacity on an idle
    # machine is about cores / (cpu per request x requests per terminal-second).
    server_cpu_ms_per_request: float = 0.0
    database_cpu_ms_per_request: float = 0.0
    terminals_per_core: int = 0  # terminals one free core carries (servers + database)

    @property
    def sustained(self) -> bool:
        return (
            self.heartbeat_p99_ms < P99_GOAL_MS
            and not any(self.errors.values())
            and self.requests.get("heartbeat", 0) > 0
        )

    def to_json(self) -> dict[str, object]:
        return {
            "terminals": self.terminals, "minutes": self.minutes, "requests": self.requests,
            "errors": self.errors, "error_samples": self.error_samples,
            "heartbeat_p50_ms": self.heartbeat_p50_ms, "heartbeat_p99_ms": self.heartbeat_p99_ms,
            "heartbeat_max_ms": self.heartbeat_max_ms, "health_p99_ms": self.health_p99_ms,
            "max_lag_s": round(self.max_lag_s, 3), "sustained": self.sustained,
            "server_cpu_ms_per_request": self.server_cpu_ms_per_request,
            "database_cpu_ms_per_request": self.database_cpu_ms_per_request,
            "terminals_per_core": self.terminals_per_core,
        }  # fmt: skip


def terminal_id(index: int) -> str:
    return f"LOAD-{index:06d}"


_KEYS: dict[int, Ed25519Signer] = {}


def terminal_signer(index: int) -> Ed25519Signer:
    """A simulated terminal's Ed25519 key, derived from its number (so a second run or a
    second generator process signs the same way without a key store)."""
    signer = _KEYS.get(index)
    if signer is None:
        seed = hashlib.sha256(f"kiosk-load-{index}".encode()).digest()
        signer = _KEYS[index] = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(seed))
    return signer


def check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise ValueError(f"load runs against loopback http only, not {url!r}")
    return parts.hostname or "127.0.0.1", parts.port or 80


def check_bounds(terminals: int, minutes: float) -> None:
    if not 1 <= terminals <= MAX_TERMINALS:
        raise ValueError(f"--terminals must be 1 to {MAX_TERMINALS}")
    if not 0 < minutes <= MAX_MINUTES:
        raise ValueError(f"--minutes must be above 0 and at most {MAX_MINUTES:g}")


def register(database_url: str | None, data_dir: Path, count: int) -> None:
    """Enroll LOAD-000000 … by public key in one transaction (Storage.enroll's statement;
    one commit per terminal would take minutes at 20,000)."""
    from kiosk.platform.server.db import Storage

    storage = Storage.open(data_dir, database_url)
    try:
        with storage._tx():
            for index in range(count):
                storage._exec(
                    "INSERT INTO terminals (id, scheme, public_key, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    (terminal_id(index), "ed25519", terminal_signer(index).public_key_b64,
                     "2026-12-01T00:00:00Z"),
                )  # fmt: skip
    finally:
        storage.close()


class Connection:
    """One keep-alive HTTP/1.1 connection; just enough protocol for the platform's replies."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes
                      ) -> tuple[int, bytes]:  # fmt: skip
        reused = self.writer is not None
        try:
            return await self._request(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
        # The server closed an idle keep-alive connection before reading this request (no
        # byte of a reply came back): any HTTP client sends it again on a new connection.
        self.close()
        return await self._request(method, path, headers, body)

    async def _request(self, method: str, path: str, headers: dict[str, str], body: bytes
                       ) -> tuple[int, bytes]:  # fmt: skip
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]  # fmt: skip
        if body:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            self.close()
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Generator:
    def __init__(self, urls: Sequence[str], public_key_path: Path, rates: Rates,
                 connections: int = 48) -> None:  # fmt: skip
        endpoints = [check_loopback(u) for u in urls]
        self.pool: asyncio.Queue[Connection] = asyncio.Queue()
        for i in range(connections):
            host, port = endpoints[i % len(endpoints)]  # the load balancer: round robin
            self.pool.put_nowait(Connection(host, port))
        self.public_key = crypto.load_public_key(public_key_path)
        self.rates = rates
        self.rec = Recorder()
        self.face_b64 = base64.b64encode(demo_jpeg(120, 160)).decode()
        self.rng = random.Random(7)
        self.seq = 0
        self.measure_from = 0.0  # perf_counter time; replies before it are warm-up

    async def call(self, kind: str, index: int | None, method: str, path: str,
                   payload: object | None = None) -> None:  # fmt: skip
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        headers = {}
        if index is not None:
            headers = sign_request(terminal_signer(index), terminal_id(index), method, path, body)
        conn = await self.pool.get()
        self.rec.sent += 1
        start = time.perf_counter()
        try:
            status, data = await conn.request(method, path, headers, body)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            conn.close()
            self.rec.fail(kind, f"{type(exc).__name__}: {exc}")
            return
        finally:
            self.pool.put_nowait(conn)
        elapsed = time.perf_counter() - start
        warming = start < self.measure_from
        if status != 200:
            self.rec.fail(kind, f"HTTP {status} {data[:200]!r}")
            return
        if kind == "submission" or kind == "rating":
            results = json.loads(data).get("results", [])
            if not results or results[0].get("status") != "accepted":
                self.rec.fail(kind, f"not accepted: {data[:200]!r}")
                return
        if not warming:
            self.rec.ok(kind, elapsed)

    def heartbeat(self, index: int) -> dict[str, object]:
        rng = self.rng
        return {
            "version": "0.1.0",
            "devices": [{"device": d, "state": "online", "detail": ""} for d in DEVICES],
            "outbox_depth": rng.choice((0, 0, 0, 0, 1, 2)), "dead_letters": 0,
            "acked_commands": [], "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "paper": "low" if index % 97 == 0 else "full", "locked": False,
            "location": f"负载测试网点 {index % 1000:03d}", "region": f"44{index % 20 + 1:02d}",
        }  # fmt: skip

    def item(self, kind: str, index: int) -> dict[str, object]:
        self.seq += 1
        key = str(uuid.uuid4())
        if kind == "application":
            display: dict[str, object] = {"service_code": "SB002", "masked_name": "测*一"}
            personal = {"id_number": DEMO_ID_NUMBER, "phone": "13800000901", "name": "测试一"}
        else:
            bad = self.rng.random() < self.rates.bad_rating_share
            level = self.rng.choice((4, 5)) if bad else self.rng.choice((1, 1, 1, 2, 2, 3))
            display = {"level": level, "indicators": ["等待时间长"] if bad else [],
                       "service_code": "SB002", "reference": "", "channel": "自助终端"}  # fmt: skip
            personal = {}
        plain = json.dumps(personal, ensure_ascii=False).encode()
        sealed = crypto.seal(self.public_key, plain, bind=key)
        return {"key": key, "kind": kind, "stream": f"load-{index}", "seq": self.seq,
                "local_ref": f"{terminal_id(index)}-{self.seq:08d}",
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "attempt": 0,
                "display": display,
                "sealed": {"kid": sealed.kid, "blob": base64.b64encode(sealed.blob).decode()}}  # fmt: skip

    async def run(self, terminals: int, minutes: float) -> LoadReport:
        loop = asyncio.get_running_loop()
        start = loop.time()
        # The first seconds warm the servers (face detector per worker thread, connection
        # pools, caches) and are not counted; the run is that much longer.
        warmup_s = min(WARMUP_S, minutes * 15)
        self.measure_from = time.perf_counter() + warmup_s
        end = start + minutes * 60 + warmup_s
        tasks: set[asyncio.Task[None]] = set()

        def spawn(coro: Coroutine[Any, Any, None]) -> None:
            task = asyncio.ensure_future(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        per_s = terminals / 60.0
        next_event = {
            kind: start + self.rng.expovariate(per_s * rate)
            for kind, rate in (("submission", self.rates.submissions),
                               ("rating", self.rates.ratings),
                               ("identity", self.rates.identity)) if rate > 0
        }  # fmt: skip
        beat_gap = HEARTBEAT_S / terminals  # spread evenly: a steady rate, no thundering herd
        beat_no, next_health = 0, start
        while True:
            now = loop.time()
            if now >= end:
                break
            while beat_no * beat_gap <= now - start:
                due = start + beat_no * beat_gap
                self.rec.max_lag_s = max(self.rec.max_lag_s, now - due)
                index = beat_no % terminals
                spawn(self.call("heartbeat", index, "POST", "/v1/heartbeat", self.heartbeat(index)))
                beat_no += 1
            for kind, due in list(next_event.items()):
                while due <= now:
                    index = self.rng.randrange(terminals)
                    if kind == "identity":
                        spawn(self.call("identity", index, "POST", "/v1/identity/verify", {
                            "method": "face", "id_number": DEMO_ID_NUMBER,
                            "face_jpeg_b64": self.face_b64}))  # fmt: skip
                    else:
                        item_kind = "application" if kind == "submission" else "rating"
                        spawn(self.call(kind, index, "POST", "/v1/outbox/batch",
                                        {"items": [self.item(item_kind, index)]}))  # fmt: skip
                    rate = per_s * (self.rates.submissions if kind == "submission" else
                                    self.rates.ratings if kind == "rating" else self.rates.identity)  # fmt: skip
                    due += self.rng.expovariate(rate)
                next_event[kind] = due
            if now >= next_health:  # the baseline: a request that does no work
                spawn(self.call("health", None, "GET", "/v1/health"))
                next_health = now + 0.2
            await asyncio.sleep(0.01)
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        while not self.pool.empty():
            self.pool.get_nowait().close()
        return self.report(terminals, minutes)

    def report(self, terminals: int, minutes: float) -> LoadReport:
        beats = sorted(self.rec.latencies.get("heartbeat", [0.0]))
        health = sorted(self.rec.latencies.get("health", [0.0]))
        return LoadReport(
            terminals, minutes,
            {k: len(v) for k, v in self.rec.latencies.items()},
            dict(self.rec.errors), list(self.rec.error_samples),
            round(statistics.median(beats) * 1000, 2), round(_p99(beats) * 1000, 2),
            round(beats[-1] * 1000, 2), round(_p99(health) * 1000, 2), self.rec.max_lag_s,
        )  # fmt: skip


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


# --- running servers and the whole measurement -----------------------------------------------


@dataclass(frozen=True)
class ConsoleTiming:
    list_ms: float  # median of the first page of the terminal list
    list_p95_ms: float
    search_ms: float  # a search over the whole fleet
    health_ms: float  # baseline: the same server answering a no-op


def start_servers(database_url: str, data_dir: Path, count: int) -> tuple[list[str], list[Any]]:
    """`count` server processes over one database, each on its own loopback port (the
    generator balances between them). Started one after the other: the first creates the
    tables."""
    import subprocess
    import sys

    import httpx

    from kiosk.platform.pgcluster import free_port

    urls, procs = [], []
    for number in range(count):
        port = free_port()
        # A file, not a pipe: nobody reads a pipe during the run, and a server blocked on
        # a full pipe would be measured as a slow server.
        log_file = (data_dir / f"server-{number}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "platform", "serve", "--quiet", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir), "--database-url", database_url],
            stdout=log_file, stderr=log_file,
        )  # fmt: skip
        log_file.close()
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_servers(procs)
                err = (data_dir / f"server-{number}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"platform server did not start: {err}")
            time.sleep(0.2)
        urls.append(url)
    return urls, procs


def stop_servers(procs: list[Any]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


def time_console(url: str, database_url: str, data_dir: Path, repeat: int = 15) -> ConsoleTiming:
    """Log in as a bench operator and time the terminal list the way a browser asks for it."""
    import httpx

    from kiosk.platform.server.console.accounts import Accounts
    from kiosk.platform.server.console.settings import ConsoleSettings
    from kiosk.platform.server.console.tables import Tables
    from kiosk.platform.server.db import Storage

    storage = Storage.open(data_dir, database_url)
    try:
        Accounts(Tables(storage), ConsoleSettings()).add("bench-op", "bench-password-1", "operator")
    finally:
        storage.close()

    def timed(http: httpx.Client, path: str, params: dict[str, str] | None = None) -> list[float]:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            reply = http.get(path, params=params)
            times.append(time.perf_counter() - start)
            if reply.status_code != 200:
                raise RuntimeError(f"console {path}: HTTP {reply.status_code}")
        return sorted(times)

    with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as http:
        login = http.post(
            "/console/login", data={"username": "bench-op", "password": "bench-password-1"}
        )
        if "终端一览" not in login.text:
            raise RuntimeError("bench operator could not log in")
        listing = timed(http, "/console/")
        search = timed(http, "/console/", {"q": "LOAD-0012"})
        health = timed(http, "/v1/health")
    return ConsoleTiming(
        round(statistics.median(listing) * 1000, 2),
        round(listing[int(len(listing) * 0.95) - 1] * 1000, 2),
        round(statistics.median(search) * 1000, 2), round(statistics.median(health) * 1000, 2),
    )  # fmt: skip


def measure(
    steps: Sequence[int], minutes: float, *, servers: int = 2, database_url: str | None = None,
    data_dir: Path | None = None, rates: Rates | None = None, stop_at_failure: bool = True,
    progress: Any = None,
) -> tuple[list[LoadReport], ConsoleTiming]:  # fmt: skip
    """Run each step (a number of terminals) for `minutes`, on a throwaway PostgreSQL unless
    a database is given (stopping at the first step not sustained); then time the console
    with every terminal of the largest step registered."""
    import tempfile

    from kiosk.platform.pgcluster import throwaway_postgres

    for n in steps:
        check_bounds(n, minutes)
    with contextlib.ExitStack() as stack:
        url = database_url or stack.enter_context(throwaway_postgres())
        folder = data_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="kiosk-load-"))
        )
        register(url, folder, max(steps))
        urls, procs = start_servers(url, folder, servers)
        stack.callback(stop_servers, procs)
        reports: list[LoadReport] = []
        database = _postmaster(url)
        for n in steps:
            gen = Generator(urls, folder / "platform_x25519.pub", rates or Rates())
            before = (_cpu_s(procs), _cpu_s([database]) if database else 0.0, time.monotonic())
            report = asyncio.run(gen.run(n, minutes))
            server_s = _cpu_s(procs) - before[0]
            database_s = (_cpu_s([database]) if database else 0.0) - before[1]
            count = max(1, gen.rec.sent)  # every request, warm-up and probes included
            cpu_per_terminal_s = (server_s + database_s) / ((time.monotonic() - before[2]) * n)
            report = dataclasses.replace(
                report,
                server_cpu_ms_per_request=round(server_s * 1000 / count, 3),
                database_cpu_ms_per_request=round(database_s * 1000 / count, 3),
                terminals_per_core=int(1 / cpu_per_terminal_s) if cpu_per_terminal_s > 0 else 0,
            )
            if report.errors:  # say why, from the servers' own logs
                tails = [_problems(folder / f"server-{i}.log") for i in range(servers)]
                report = dataclasses.replace(
                    report, error_samples=report.error_samples + [t for t in tails if t]
                )
            reports.append(report)
            if progress is not None:
                progress(report)
            if not report.sustained and stop_at_failure:
                break
        # The console at the fleet's full size (every terminal registered, as a province's).
        return reports, time_console(urls[0], url, folder)


def _problems(log: Path) -> str:
    """The last exception a server logged (its type and message), if any."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    if not starts:
        return ""
    tail = lines[starts[-1] + 1 :]
    last = next((line for line in tail if line and not line[0].isspace()), tail[-1] if tail else "")
    where = [line.strip() for line in tail if line.strip().startswith("File ")][-1:]
    return f"{log.name}: {last} ({' '.join(where)})"[:600]


def _postmaster(database_url: str) -> Any:
    """The PostgreSQL server process listening on the URL's port (its backends are its
    children), to count the database's CPU; None if it is not found on this machine."""
    import psutil

    port = urlsplit(database_url).port
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and f"-p {port}" in " ".join(cmdline):
            return proc
    return None


def _cpu_s(procs: Sequence[Any]) -> float:
    """User + system CPU seconds of these processes and all their children."""
    import psutil

    total = 0.0
    for proc in procs:
        try:
            ps = proc if isinstance(proc, psutil.Process) else psutil.Process(proc.pid)
            for p in [ps, *ps.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    total += times.user + times.system
        except psutil.Error:
            continue
    return total
