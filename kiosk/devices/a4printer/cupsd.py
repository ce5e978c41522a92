"""A private CUPS scheduler with a cups-pdf queue: the A4 printer's emulator.

It is the real stack a terminal prints through (cupsd, its filters, a backend), with its own
configuration, spool and loopback port under one directory, so it never touches the system's
CUPS. The queue's backend is `kiosk-pdf`, a small wrapper that speaks the CUPS backend
protocol the way a real printer's does: it reports the toner level (ATTR: marker-levels) and
the faults staff can set with `set_faults` (STATE: +media-empty-error, +door-open-error, ...),
holds a job while paper is out or the door is open, then hands the job to Debian's cups-pdf,
which writes the PDF to `out_dir`.

cups-pdf reads its settings only from /etc/cups/cups-pdf-<queue>.conf (compiled in), so one
such file is written per queue and removed at stop. cupsd and cups-pdf need root.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.children import spawn

log = logging.getLogger(__name__)

SYSTEM_SERVER_BIN = Path("/usr/lib/cups")
CUPS_PDF_BACKEND = SYSTEM_SERVER_BIN / "backend" / "cups-pdf"
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_CONF_DIR = Path("/etc/cups")
BACKEND_NAME = "kiosk-pdf"
BLOCKING = ("media-empty-error", "door-open-error", "media-jam-error")

_BACKEND = '''#!{python} -I
"""CUPS backend {name}: emulated A4 printer in front of cups-pdf (written by kiosk)."""
import json, os, sys, time
STATE = {state!r}
QUEUE = {queue!r}
if len(sys.argv) == 1:
    print('direct {name} "Kiosk" "Kiosk A4 emulator (cups-pdf)"')
    sys.exit(0)
def faults():
    try:
        with open(STATE) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {{}}
    return set(data.get("reasons", [])), int(data.get("toner", 80))
def say(line):
    sys.stderr.write(line + "\\n")
    sys.stderr.flush()
reasons, toner = faults()
say("ATTR: marker-colors=#000000 marker-names=Toner marker-types=toner "
    f"marker-low-levels=15 marker-high-levels=100 marker-levels={{toner}}")
shown = set()
deadline = time.monotonic() + 900
while True:
    reasons, toner = faults()
    for r in sorted(reasons - shown):
        say("STATE: +" + r)
    for r in sorted(shown - reasons):
        say("STATE: -" + r)
    shown = set(reasons)
    if not reasons & set({blocking!r}):
        break
    if time.monotonic() > deadline:
        sys.exit(4)  # CUPS_BACKEND_STOP: staff must act
    time.sleep(0.2)
say("INFO: printing")
os.environ["DEVICE_URI"] = "cups-pdf:/" + QUEUE
os.execv({cups_pdf!r}, ["cups-pdf:/" + QUEUE] + sys.argv[1:])
'''


class CupsdError(RuntimeError):
    """The emulator could not start; says what is missing."""


def missing_parts() -> list[str]:
    """What this machine lacks to run the emulator (Debian packages to install)."""
    missing = []
    if shutil.which("cupsd") is None and not Path("/usr/sbin/cupsd").exists():
        missing.append("cups (cupsd)")
    if not CUPS_PDF_BACKEND.exists() or not CUPS_PDF_PPD.exists():
        missing.append("printer-driver-cups-pdf")
    if os.geteuid() != 0:
        missing.append("root (cupsd runs cups-pdf as root)")
    return missing


class PrivateCupsd:
    def __init__(self, root: Path, queue: str = "kiosk-a4", port: int = 0) -> None:
        self.root = Path(root)
        self.queue = queue
        self.port = port
        self.out_dir = self.root / "out"
        self.state_file = self.root / "faults.json"
        self._proc: subprocess.Popen[bytes] | None = None
        # cups-pdf's settings file is named by its device URI, not by the queue: one per
        # emulator, so two of them (or a test beside a running kiosk) never share it.
        self._pdf_instance = f"kiosk-{os.getpid()}-{secrets.token_hex(3)}"
        self._pdf_conf = CUPS_PDF_CONF_DIR / f"cups-pdf-{self._pdf_instance}.conf"
        # cupsd runs filters as user lp: its configuration, spool and ServerBin must be
        # reachable by lp, which a data directory (or pytest's 0700 tmp) may not be.
        self._run: Path | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        missing = missing_parts()
        if missing:
            raise CupsdError("the A4 printer emulator needs " + ", ".join(missing))
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        conf, files = self._write_config()
        cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
        log_file = open(self.root / "log" / "cupsd.out", "ab")  # noqa: SIM115 - the child keeps it
        # Stopped with the kiosk even if it is killed hard (kiosk/children.py).
        self._proc = spawn(
            [cupsd, "-f", "-c", str(conf), "-s", str(files)],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        log_file.close()
        deadline = time.monotonic() + timeout
        while not self._accepts():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise CupsdError(f"cupsd did not start: see {self.root / 'log'}")
            time.sleep(0.05)
        self._add_queue()
        log.info("A4 printer emulator: cupsd on 127.0.0.1:%d, queue %s", self.port, self.queue)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None
        self._pdf_conf.unlink(missing_ok=True)
        if self._run is not None:
            shutil.rmtree(self._run, ignore_errors=True)
            self._run = None

    def set_faults(self, reasons: set[str] | frozenset[str] = frozenset(), toner: int = 80) -> None:
        """What the emulated printer reports from its next job on: IPP reason keywords
        (media-empty-error, media-low-report, door-open-error, toner-low-report, ...)."""
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"reasons": sorted(reasons), "toner": int(toner)}))
        tmp.chmod(0o644)
        tmp.replace(self.state_file)

    # -- internals ------------------------------------------------------------------------

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _write_config(self) -> tuple[Path, Path]:
        for sub in ("log", "out"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if self._run is None:
            self._run = Path(tempfile.mkdtemp(prefix="kiosk-cupsd-"))
        root = self._run
        os.chmod(root, 0o755)
        for sub in ("etc/ppd", "spool/tmp", "cache", "state", "bin/backend"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root / "spool" / "tmp", 0o1777)
        # ServerBin: the system's filters and helpers, plus our backend in front of cups-pdf.
        for part in ("filter", "cgi-bin", "daemon", "monitor", "notifier", "driver"):
            link = root / "bin" / part
            if not link.exists() and (SYSTEM_SERVER_BIN / part).exists():
                link.symlink_to(SYSTEM_SERVER_BIN / part)
        backend = root / "bin" / "backend" / BACKEND_NAME
        backend.write_text(_BACKEND.format(python=sys.executable, name=BACKEND_NAME,
                                           state=str(self.state_file), queue=self._pdf_instance,
                                           blocking=BLOCKING, cups_pdf=str(CUPS_PDF_BACKEND)))  # fmt: skip
        backend.chmod(0o700)  # a backend without group/other bits runs as root, as cups-pdf must
        if not self.state_file.exists():
            self.set_faults()
        files = root / "cups-files.conf"
        files.write_text(
            f"ServerRoot {root / 'etc'}\nRequestRoot {root / 'spool'}\n"
            f"TempDir {root / 'spool' / 'tmp'}\nCacheDir {root / 'cache'}\n"
            f"StateDir {root / 'state'}\nAccessLog {self.root / 'log' / 'access_log'}\n"
            f"ErrorLog {self.root / 'log' / 'error_log'}\nPageLog {self.root / 'log' / 'page_log'}\n"
            f"ServerBin {root / 'bin'}\nDataDir /usr/share/cups\nSystemGroup root\n"
            "FileDevice No\n"
        )
        conf = root / "etc" / "cupsd.conf"
        conf.write_text(
            f"Listen 127.0.0.1:{self.port}\nLogLevel info\nBrowsing No\nWebInterface No\n"
            "DefaultAuthType None\nPreserveJobHistory Yes\nMaxJobs 200\n"
            "<Location />\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        self._pdf_conf.write_text(
            f"# written by kiosk's A4 printer emulator ({self.root}); removed when it stops\n"
            f"Out {self.out_dir}\nAnonDirName {self.out_dir}\nLabel 0\nGrp root\n"
            "TitlePref 1\n"
        )
        return conf, files

    def _add_queue(self) -> None:
        import cups

        connection = cups.Connection(host=self.host, port=self.port)
        connection.addPrinter(self.queue, filename=str(CUPS_PDF_PPD),
                              device=f"{BACKEND_NAME}:/{self.queue}",
                              info="Kiosk A4 printer (emulated, cups-pdf)")  # fmt: skip
        # A document the filters cannot read fails alone; it must not stop the printer for
        # the next resident (CUPS's default error policy is stop-printer).
        connection.setPrinterErrorPolicy(self.queue, "abort-job")
        connection.enablePrinter(self.queue)
        connection.acceptJobs(self.queue)
