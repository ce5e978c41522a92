"""Find a running pcscd, or start one we own, and wait for a reader to appear.

On a systemd host pcscd is socket-activated and the socket already exists. In the kiosk's
container image there is no systemd, so the kiosk (running as root) starts `pcscd -f`
itself. pcscd has one fixed socket (/run/pcscd/pcscd.comm), so there is at most one per
machine: we never start a second, and we only ever stop the one we started.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from kiosk.devices.smartcard import pcsc

log = logging.getLogger(__name__)

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
LEASE_PATH = Path(tempfile.gettempdir()) / "kiosk-pcscd.lease"
_lock = threading.Lock()


class PcscdError(Exception):
    """pcscd is missing, cannot be started, or does not show the expected reader."""


def find_pcscd() -> str | None:
    return shutil.which("pcscd") or next(
        (p for p in ("/usr/sbin/pcscd", "/usr/local/sbin/pcscd") if os.access(p, os.X_OK)), None
    )


def pcscd_running(sock: Path = PCSCD_SOCKET) -> bool:
    """True when something accepts connections on pcscd's socket (a stale file is not enough)."""
    if not sock.exists():
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(str(sock))
        return True
    except OSError:
        return False
    finally:
        s.close()


class PcscdHandle:
    """A use of pcscd, returned by ensure_pcscd. Call `stop()` when done with it.

    Every kiosk process using pcscd holds a shared lock on LEASE_PATH. `stop()` releases
    it; the last user out stops pcscd if a kiosk process started it (its pid is recorded in
    the lease file), so parallel users (the app, tests, the CLI) never pull pcscd from
    under each other and none leaves it behind. A pcscd that was running before any kiosk
    process (systemd, an operator) is never stopped.
    """

    def __init__(
        self, process: subprocess.Popen[bytes] | None, log_path: Path | None, lease: int | None
    ) -> None:
        self.process = process
        self.log_path = log_path
        self._lease = lease
        self._temp_log = False

    @property
    def owned(self) -> bool:
        """True when this handle started pcscd."""
        return self.process is not None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, wait_s: float = 0.0) -> bool:
        """Release our use; stop pcscd if we are the last kiosk user and a kiosk process
        started it. `wait_s`: how long to wait for other users to finish. Returns True
        when pcscd was stopped here."""
        lease, self._lease = self._lease, None
        proc, self.process = self.process, None
        atexit.unregister(self.stop)
        if lease is None:
            return False
        stopped = False
        try:
            if _lock_exclusive(lease, wait_s):
                pid = _recorded_pid(lease)
                if pid and _is_pcscd(pid):
                    _terminate(pid, proc if proc is not None and proc.pid == pid else None)
                    stopped = True
                os.ftruncate(lease, 0)
        finally:
            os.close(lease)  # also releases the lock
        if proc is not None and proc.poll() is None and not stopped:
            log.info("pcscd left running for its other users", extra={"pid": proc.pid})
        if self._temp_log and self.log_path and stopped:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
        return stopped

    def log_tail(self, lines: int = 8) -> str:
        if not self.log_path:
            return ""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _open_lease() -> int:
    fd = os.open(LEASE_PATH, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def _lock_exclusive(fd: int, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


def _recorded_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 32).strip()
    return int(raw) if raw.isdigit() else None


def _record_pid(fd: int, pid: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{pid}\n".encode(), 0)


def _is_pcscd(pid: int) -> bool:
    """A live pcscd (a zombie left for a non-reaping init does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    name, _, rest = stat.partition(") ")
    return name.endswith("(pcscd") and not rest.startswith(("Z", "X"))


def _terminate(pid: int, proc: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if proc is not None:  # our child: reap it
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    else:  # started by another kiosk process that has finished with it
        deadline = time.monotonic() + timeout
        while _is_pcscd(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_pcscd(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    # pcscd removes its socket on a clean exit; wait so the next start does not see it.
    deadline = time.monotonic() + timeout
    while pcscd_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    log.info("pcscd stopped", extra={"pid": pid})


def ensure_pcscd(
    reader: str | None = "",
    *,
    timeout: float = 10.0,
    allow_start: bool = True,
    log_path: Path | None = None,
    debug: bool = False,
) -> PcscdHandle:
    """Make sure pcscd answers and lists a reader whose name contains `reader`
    (reader=None: only wait for the service to answer).

    Starts `pcscd --foreground` as our child when none is running and `allow_start` is
    set. Raises PcscdError with a message a technician can act on.
    """
    with _lock:
        lease = _open_lease()
        try:
            handle = PcscdHandle(None, None, lease)
            if not pcscd_running():
                if not allow_start:
                    raise PcscdError(f"pcscd is not running ({PCSCD_SOCKET} does not answer)")
                handle = _start(log_path, debug, lease)
        except BaseException:
            os.close(lease)
            raise
        try:
            try:
                _wait_for_reader(handle, reader, timeout)
            except PcscdError:
                if not (handle.owned and not handle.alive() and pcscd_running()):
                    raise
                # Another process started pcscd at the same moment and won; use theirs.
                handle.process = None
                _wait_for_reader(handle, reader, timeout)
        except BaseException:
            handle.stop()
            raise
        if handle.process is not None:
            _record_pid(lease, handle.process.pid)
        atexit.register(handle.stop)
        return handle


def _start(log_path: Path | None, debug: bool, lease: int) -> PcscdHandle:
    binary = find_pcscd()
    if binary is None:
        raise PcscdError("pcscd is not installed (Debian: apt-get install pcscd vsmartcard-vpcd)")
    if os.geteuid() != 0:
        raise PcscdError(
            "pcscd is not running and only root can start it; start it from the kiosk's "
            "start script (`pcscd --foreground &`) or enable pcscd.socket"
        )
    temp = log_path is None
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="kiosk-pcscd-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    args = [binary, "--foreground"] + (["--debug"] if debug else [])
    with open(log_path, "ab") as out:
        # Own session: a Ctrl-C in the kiosk's terminal reaches us, not pcscd; we stop it.
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    handle = PcscdHandle(proc, log_path, lease)
    handle._temp_log = temp
    log.info("pcscd started", extra={"pid": proc.pid})
    return handle


def _wait_for_reader(handle: PcscdHandle, reader: str | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        if handle.process is not None and handle.process.poll() is not None:
            raise PcscdError(
                f"pcscd exited with status {handle.process.returncode}: {handle.log_tail()}"
            )
        try:
            names = pcsc.list_readers()
            if reader is None or any(reader in n for n in names):
                return
            last = f"readers: {names or 'none'}"
        except pcsc.PcscError as exc:
            last = str(exc)
        if time.monotonic() >= deadline:
            want = f"a reader matching {reader!r}" if reader else "a reader"
            raise PcscdError(f"pcscd did not show {want} within {timeout:g} s ({last})")
        time.sleep(0.1)
