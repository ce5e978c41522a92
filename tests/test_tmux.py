"""The kiosk in a real terminal (tmux): it reaches the home screen, survives every key a
resident could use to leave, and stops cleanly when a technician sends SIGTERM."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KEYS = ["C-c", "C-q", "C-z", "C-p", "C-\\", "Escape"]


class Tmux:
    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed: run scripts/setup.sh")
        self.socket = f"kiosk-test-{uuid.uuid4().hex[:8]}"
        self.status_file = Path()

    def __call__(self, *args: str) -> str:
        proc = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "kiosk")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.3)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{self.screen()}")

    def pane(self, fmt: str) -> str:
        return self("display-message", "-p", "-t", "kiosk", fmt).strip()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    tmux = Tmux()
    env = {
        "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    # the shell records the kiosk's exit status, which tmux does not always report
    tmux.status_file = tmp_path / "exit-status"
    command = (
        f"cd {REPO} && env {exports} {sys.executable} -m kiosk run; echo $? > {tmux.status_file}"
    )
    tmux("new-session", "-d", "-s", "kiosk", "-x", "160", "-y", "45", command)
    try:
        yield tmux
    finally:
        with contextlib.suppress(RuntimeError):
            tmux("kill-server")


def test_kiosk_in_a_real_terminal_survives_escape_keys(tmux: Tmux) -> None:
    tmux.wait_for("刷身份证")
    tmux.wait_for("呼叫工作人员")
    shell = int(tmux.pane("#{pane_pid}"))
    pid = int(
        subprocess.run(["pgrep", "-P", str(shell)], capture_output=True, text=True).stdout.split()[
            0
        ]
    )
    for key in KEYS:
        tmux("send-keys", "-t", "kiosk", key)
        time.sleep(0.5)
        assert Path(f"/proc/{pid}").exists() and not tmux.status_file.exists(), (
            f"{key} ended the kiosk"
        )
        assert "刷身份证" in tmux.screen(), f"{key} left the home screen"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while not tmux.status_file.exists() or not tmux.status_file.read_text().strip():
        assert time.monotonic() < deadline, "kiosk did not stop on SIGTERM"
        time.sleep(0.2)
    assert tmux.status_file.read_text().strip() == "0"
