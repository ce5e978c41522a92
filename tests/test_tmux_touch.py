"""A resident in a real terminal (tmux), by touches only: the terminal's mouse reports (SGR
1006, what a touch screen under a terminal emulator sends), no key at all. From the home
screen to a printed 受理回执 for 社会保障卡补换领, the phone number on the on-screen pad."""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.test_tmux import REPO, Tmux


class TouchScreen:
    """Finds a label on the captured screen and touches the middle of it."""

    def __init__(self, tmux: Tmux) -> None:
        self.tmux = tmux
        self.touches = 0

    def find(self, text: str, *, row_has: str = "", after_row: int = -1) -> tuple[int, int]:
        for y, line in enumerate(self.tmux.screen().splitlines()):
            if y <= after_row or (row_has and row_has not in line):
                continue
            at = line.find(text)
            if at >= 0:
                x = cell_len(line[:at]) + cell_len(text) // 2
                return x + 1, y + 1  # terminal cells count from 1
        raise AssertionError(f"{text!r} not on screen:\n{self.tmux.screen()}")

    def touch_key(self, key: str) -> None:
        """A key of the on-screen pad: a label standing alone between blanks on its row."""
        pattern = re.compile(rf"(?<=\s){re.escape(key)}(?=\s)")
        for y, line in enumerate(self.tmux.screen().splitlines()):
            # the pad's rows: 1 2 3 ⌫ / 4 5 6 清空 / 7 8 9 / 0 (the value line has no blanks
            # between its digits, the hints no lone digits)
            found = pattern.search(line)
            if found and ("删除" in line or "清空" in line or re.search(r"\s[0789]\s", line)):
                x = cell_len(line[: found.start()]) + 1
                self.tmux(
                    "send-keys", "-t", "kiosk", "-l", f"\x1b[<0;{x};{y + 1}M\x1b[<0;{x};{y + 1}m"
                )
                self.touches += 1
                time.sleep(0.4)
                return
        raise AssertionError(f"no key {key!r} on screen:\n{self.tmux.screen()}")

    def touch(self, text: str, *, row_has: str = "", wait: float = 30) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                x, y = self.find(text, row_has=row_has)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        # press and release, as a finger does; SGR mouse mode, which Textual turns on
        self.tmux("send-keys", "-t", "kiosk", "-l", f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")
        self.touches += 1
        time.sleep(0.4)  # the button's pressed look passes before the next touch


@pytest.fixture
def kiosk_tmux(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    tmux = Tmux()
    data = tmp_path / "data"
    env = {
        "KIOSK_TERMINAL__DATA_DIR": str(data),
        "KIOSK_DEVICES__CAMERA__EMULATED_SCENE": "face",  # a drawn face, no real person
        "KIOSK_DEVICES__SMARTCARD__MODE": "off",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    tmux.status_file = tmp_path / "exit-status"
    command = (
        f"cd {REPO} && env {exports} {sys.executable} -m kiosk run; echo $? > {tmux.status_file}"
    )
    # COLUMNS=80 LINES=24 in the environment (as test runners set) must not pin the kiosk
    command = f"export COLUMNS=80 LINES=24; {command}"
    tmux("new-session", "-d", "-s", "kiosk", "-x", "120", "-y", "40", command)
    try:
        yield tmux, data
    finally:
        with contextlib.suppress(RuntimeError):
            tmux("kill-server")


def test_resident_applies_by_touch_in_a_real_terminal(kiosk_tmux: tuple[Tmux, Path]) -> None:
    tmux, data = kiosk_tmux
    screen = TouchScreen(tmux)
    tmux.wait_for("刷身份证")
    assert tmux.pane("#{pane_width}x#{pane_height}") == "120x40"
    rows = [i for i, line in enumerate(tmux.screen().splitlines()) if "呼叫工作人员" in line]
    assert rows and rows[-1] >= 37, tmux.screen()  # laid out on all 40 rows
    tmux.wait_for("网络正常", timeout=90)  # devices and the built-in platform are up
    screen.touch("办事指南")
    screen.touch("社保", row_has="医保")  # the category bar
    screen.touch("社会保障卡补换领")
    screen.touch("开始办理")
    screen.touch("演示：放一张测试卡")  # the emulated reader: a card is placed
    screen.touch("继续", wait=60)
    tmux.wait_for("联系电话", timeout=90)  # after the face check
    screen.touch("遗失")
    screen.touch("联系电话")
    tmux.wait_for("删除")
    tmux.wait_for("确定")
    for digit in "13800001111":
        screen.touch_key(digit)
    tmux.wait_for("138 0000 1111")
    screen.touch("确定")
    screen.touch("下一步")
    tmux.wait_for("请确认您的申请")
    tmux.wait_for("138****1111")  # what will be sent, masked
    screen.touch("确认提交", row_has="│")  # the button, not the hint that names it
    tmux.wait_for("回执已打印", timeout=60)
    printed = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in (data / "printer-emulator").rglob("*.txt"))  # fmt: skip
    assert "受理回执" in printed and "138****1111" in printed
    assert screen.touches <= 25
