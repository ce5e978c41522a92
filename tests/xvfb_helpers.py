"""A real X screen (Xvfb) and the kiosk in a real terminal emulator on it, for tests and for
the README screenshots: the shipped launcher (deploy/kiosk-display) runs kitty or xterm
with the kiosk inside; xdotool taps (mouse events, as a touch screen sends them); ImageMagick
`import` takes screenshots. Each helper fails loudly when its program is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCREEN = (1920, 1080)


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    assert not missing, f"missing {missing}: run scripts/setup.sh test (Debian packages)"


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")


@contextmanager
def xvfb(size: tuple[int, int] = SCREEN) -> Iterator[str]:
    """A fresh X server on a free display number; yields its DISPLAY."""
    need("Xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
         "-nolisten", "tcp", "-noreset"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


def screenshot(display: str, path: Path) -> Path:
    need("import")
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["import", "-display", display, "-window", "root", str(path)], check=True, timeout=30
    )
    return path


def tap(display: str, x: int, y: int) -> None:
    need("xdotool")
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(
        ["xdotool", "mousemove", str(x), str(y), "click", "1"], check=True, env=env, timeout=10
    )


@dataclass
class KittyKiosk:
    """The kiosk in kitty, started by the shipped launcher."""

    display: str
    socket: Path
    proc: subprocess.Popen[bytes]

    def grid(self) -> tuple[int, int]:
        """(columns, lines) of kitty's window, as kitty reports them."""
        out = subprocess.run(
            ["kitty", "@", "--to", f"unix:{self.socket}", "ls"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
        window = json.loads(out)[0]["tabs"][0]["windows"][0]
        return window["columns"], window["lines"]

    def text(self) -> str:
        """What kitty shows, as text (kitty's own `get-text`)."""
        return subprocess.run(
            ["kitty", "@", "--to", f"unix:{self.socket}", "get-text"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip

    def find(self, label: str, last: bool = False) -> tuple[int, int]:
        """(column, row) of the middle of `label` on screen (wide characters count 2); the
        lowest one with `last` (a button under a hint that names it)."""
        from rich.cells import cell_len

        rows = list(enumerate(self.text().splitlines()))
        for row, line in reversed(rows) if last else rows:
            at = line.find(label)
            if at >= 0:
                return cell_len(line[:at]) + cell_len(label) // 2, row
        raise AssertionError(f"{label!r} is not on the screen")

    def tap_label(self, label: str, last: bool = False) -> None:
        self.tap_cell(*self.find(label, last))

    def tap_cell(self, column: float, row: float) -> None:
        """Tap the middle of a cell of the current grid."""
        columns, lines = self.grid()
        tap(self.display, int((column + 0.5) * SCREEN[0] / columns),
            int((row + 0.5) * SCREEN[1] / lines))  # fmt: skip


@contextmanager
def kiosk_in_kitty(
    display: str, tmp: Path, env: dict[str, str] | None = None
) -> Iterator[KittyKiosk]:
    """deploy/kiosk-display with kitty, sized to the screen (Xvfb has no window manager to make
    it full screen), the kiosk's data in `tmp`."""
    need("kitty")
    runtime = tmp / "run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "DISPLAY": display,
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": str(REPO),
        "KIOSK_BIN": str(REPO / ".venv" / "bin" / "kiosk"),
        "KIOSK_TERMINAL": "kitty",
        "KIOSK_TERMINAL_ARGS": f"-o remember_window_size=no -o initial_window_width={SCREEN[0]}"
        f" -o initial_window_height={SCREEN[1]}",
        "KIOSK_TERMINAL__DATA_DIR": str(tmp / "data"),
        **(env or {}),
    }
    log = open(tmp / "kitty.log", "wb")  # noqa: SIM115 - closed below, after the process
    proc = subprocess.Popen(
        [str(REPO / "deploy" / "kiosk-display")], env=full_env, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: list(runtime.glob("kiosk-kitty-*.sock")), what="kitty's socket")
        kiosk = KittyKiosk(display, next(runtime.glob("kiosk-kitty-*.sock")), proc)
        yield kiosk
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
