"""A virtual ESC/POS receipt printer on TCP (JetDirect-style, port 9100) and on a pty.

It parses the byte stream the way a printer does, answers each DLE EOT n at once with one
status byte (never an unasked ASB), answers GS r in buffer order, and puts what it printed on
virtual paper: one page per cut, rendered to text and PNG. Staff-visible states (paper low or
out, cover open, offline, cutter error, no answer) and faults ("paper runs out / cable pulled
after N bytes of the next job") are set at run time. While stopped (paper out, cover open,
offline) it drops print data, so nothing half-printed comes out later.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.devices.printer.parser import EscPosParser, Init, Op, StatusQuery, TransmitStatus
from kiosk.devices.printer.render import Page, PageBuilder, render_png, render_text
from kiosk.devices.printer.status import status_bytes

log = logging.getLogger(__name__)

STATES = (
    "paper_ok", "paper_low", "paper_out", "cover_open", "cover_closed",
    "offline", "online", "cutter_error", "cutter_ok", "no_answer", "answer",
)  # fmt: skip
CAPTURE_LIMIT = 8 << 20  # bytes of raw input kept for inspection


@dataclass
class PrintedJob:
    index: int
    page: Page
    width_chars: int
    png_path: Path | None = None
    text_path: Path | None = None
    at: float = field(default_factory=time.time)

    @property
    def complete(self) -> bool:
        return self.page.complete

    @property
    def text(self) -> str:
        return render_text(self.page, self.width_chars)

    def png(self) -> Any:
        return render_png(self.page, self.width_chars)


class VirtualPrinter:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9100,
        *,
        width_chars: int = 32,
        output_dir: Path | None = None,
        chinese_default: bool = False,
    ) -> None:
        self.host, self.port = host, port
        self.width_chars = width_chars
        self.output_dir = Path(output_dir) if output_dir else None
        self.chinese_default = chinese_default
        self.paper = "ok"
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.answering = True
        self.jobs: list[PrintedJob] = []
        self.dropped_bytes = 0  # print data refused while stopped
        self._received = bytearray()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._builder = PageBuilder(width_chars)
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._fault: tuple[str, int] | None = None  # ("paper_out" | "unplug", nbytes)
        self._fault_count: int | None = None  # bytes counted since the next job began
        self._pty: tuple[int, int] | None = None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> int:
        """Listen on TCP; returns the port (an ephemeral one when port=0)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(4)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._spawn(self._accept_loop, listener)
        log.info("virtual printer listening on %s:%s", self.host, self.port)
        return self.port

    def stop(self) -> None:
        self._stop.set()
        self._close_all()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=2)
        self._threads = [t for t in self._threads if t.is_alive()]
        with self._lock:
            pty, self._pty = self._pty, None
        for fd in pty or ():
            _close_fd(fd)

    def unplug(self) -> None:
        """Pull the cable: every connection drops and nobody can connect until replug()."""
        self._stop.set()
        self._close_all()

    def replug(self) -> None:
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=2)
        self._threads = [t for t in self._threads if t.is_alive()]
        self.start()

    def serve_pty(self) -> str:
        """Also serve a pseudo-terminal; returns the device path the adapter opens."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass untouched
        self._pty = (master, slave)
        self._stop.clear()
        self._spawn(self._pty_loop, master)
        return os.ttyname(slave)

    def __enter__(self) -> VirtualPrinter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state --------------------------------------------------------------------------

    def set_state(self, *names: str) -> None:
        with self._lock:
            for name in names:
                if name not in STATES:
                    raise ValueError(f"unknown printer state {name!r}; one of {', '.join(STATES)}")
                if name.startswith("paper_"):
                    self.paper = name.removeprefix("paper_")
                elif name in ("cover_open", "cover_closed"):
                    self.cover_open = name == "cover_open"
                elif name in ("offline", "online"):
                    self.offline = name == "offline"
                elif name in ("cutter_error", "cutter_ok"):
                    self.cutter_error = name == "cutter_error"
                else:
                    self.answering = name == "answer"

    def run_out_after(self, nbytes: int) -> None:
        """Paper runs out after `nbytes` of the next job (counted from its ESC @)."""
        with self._lock:
            self._fault, self._fault_count = ("paper_out", nbytes), None

    def unplug_after(self, nbytes: int) -> None:
        """The cable is pulled after `nbytes` of the next job."""
        with self._lock:
            self._fault, self._fault_count = ("unplug", nbytes), None

    def status_bytes(self) -> dict[int, int]:
        return status_bytes(
            paper=self.paper,
            cover_open=self.cover_open,
            offline=self.offline,
            cutter_error=self.cutter_error,
        )

    @property
    def stopped(self) -> bool:
        return self.paper == "out" or self.cover_open or self.offline or self.cutter_error

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self.jobs.clear()

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.jobs) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    # -- the byte stream -----------------------------------------------------------------

    def consume(self, parser: EscPosParser, data: bytes) -> tuple[bytes, bool]:
        """Process received bytes; returns (reply bytes, cable pulled now)."""
        out = bytearray()
        with self._lock:
            if len(self._received) < CAPTURE_LIMIT:
                self._received += data[: CAPTURE_LIMIT - len(self._received)]
            for op in parser.feed(data):
                if isinstance(op, StatusQuery):  # real time: answered even while stopped
                    if self.answering:
                        out.append(self.status_bytes()[op.n])
                    continue
                if self._fault_hit(op):
                    kind = self._fault[0] if self._fault else "paper_out"
                    self._fault, self._fault_count = None, None
                    self._finish(self._builder.close(complete=False))
                    if kind == "unplug":
                        return bytes(out), True
                    self.paper = "out"
                    continue
                if self.stopped:
                    self.dropped_bytes += op.nbytes
                    continue
                if isinstance(op, TransmitStatus):
                    if self.answering:
                        out += self._transmit_status(op.n)
                    continue
                self._finish(self._builder.add(op))
        return bytes(out), False

    def _fault_hit(self, op: Op) -> bool:
        if self._fault is None:
            return False
        if self._fault_count is None:
            if not isinstance(op, Init):
                return False
            self._fault_count = 0
        self._fault_count += op.nbytes
        return self._fault_count > self._fault[1]

    def _transmit_status(self, n: int) -> bytes:
        if n in (1, 49):  # paper sensor: bits 0-1 near end, bits 2-3 end
            return bytes(
                [
                    (0x03 if self.paper in ("low", "out") else 0)
                    | (0x0C if self.paper == "out" else 0)
                ]
            )
        if n in (2, 50):
            return b"\x00"  # drawer kick-out connector low
        return b""

    def _finish(self, page: Page | None) -> None:
        if page is None:
            return
        job = PrintedJob(len(self.jobs) + 1, page, self.width_chars)
        if self.output_dir is not None:
            try:
                self._write(job)
            except OSError as exc:
                log.warning("virtual printer could not save job %s: %s", job.index, exc)
        self.jobs.append(job)
        self._changed.notify_all()

    def _write(self, job: PrintedJob) -> None:
        assert self.output_dir is not None
        self.output_dir.mkdir(parents=True, exist_ok=True)
        stem = f"receipt-{time.strftime('%Y%m%d-%H%M%S')}-{job.index:03d}"
        if not job.complete:
            stem += "-incomplete"
        job.text_path = self.output_dir / f"{stem}.txt"
        job.text_path.write_text(job.text, "utf-8")
        job.png_path = self.output_dir / f"{stem}.png"
        job.png().save(job.png_path)

    # -- transports ----------------------------------------------------------------------

    def _spawn(self, target: Any, *args: Any) -> None:
        t = threading.Thread(
            target=target, args=args, daemon=True, name=f"vprinter-{target.__name__}"
        )
        self._threads.append(t)
        t.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(0.2)
            with self._lock:
                self._conns.add(conn)
            self._spawn(self._conn_loop, conn)

    def _conn_loop(self, conn: socket.socket) -> None:
        parser = EscPosParser(strict=False, chinese_default=self.chinese_default)
        try:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                reply, pulled = self.consume(parser, data)
                if reply:
                    conn.sendall(reply)
                if pulled:
                    self.unplug()
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            _close_sock(conn)

    def _pty_loop(self, master: int) -> None:
        parser = EscPosParser(strict=False, chinese_default=self.chinese_default)
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(master, 65536)
            except (OSError, ValueError):
                return
            if not data:
                return
            reply, pulled = self.consume(parser, data)
            try:
                if reply:
                    os.write(master, reply)
            except OSError:
                return
            if pulled:
                self._stop.set()
                with self._lock:
                    pty, self._pty = self._pty, None
                if pty:  # the cable is gone: the adapter's next write or read fails
                    for fd in pty:
                        _close_fd(fd)
                return

    def _close_all(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = list(self._conns), set()
        if listener is not None:
            _close_sock(listener)
        for conn in conns:
            _close_sock(conn)


def _close_sock(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
