"""Screenshots of the kiosk in a real terminal emulator (kitty, through deploy/kiosk-display)
on a virtual X screen, driven by taps as a resident would: home, guide, form, review and
result, in normal mode and in 长辈模式 (where kitty's font is switched).

    .venv/bin/python -m tests.screenshot_tour OUT_DIR

Needs Xvfb, kitty, xdotool and ImageMagick (scripts/setup.sh test installs them)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.xvfb_helpers import KittyKiosk, kiosk_in_kitty, screenshot, wait_for, xvfb


def _tap_until(
    kiosk: KittyKiosk, label: str, then: str, timeout: float = 30, last: bool = False
) -> None:
    """Tap `label` (retrying while the screen settles) until `then` is on the screen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kiosk.tap_label(label, last)
        except AssertionError:
            time.sleep(0.5)  # not drawn yet
            continue
        for _ in range(10):
            time.sleep(0.3)
            if then in kiosk.text():
                return
    raise AssertionError(f"tapping {label!r} never showed {then!r}; on screen:\n{kiosk.text()}")


def tour(kiosk: KittyKiosk, display: str, out: Path, mode: str) -> list[Path]:
    shots: list[Path] = []

    def shot(name: str) -> None:
        time.sleep(1.0)  # let kitty draw the last frame
        shots.append(screenshot(display, out / f"{name}-{mode}.png"))

    wait_for(lambda: "网络正常" in kiosk.text(), 90, "the home screen, services up")
    if mode == "elder":
        _tap_until(kiosk, "长辈模式", "长辈模式：开")
        wait_for(lambda: kiosk.grid()[0] < 90, 20, "the larger font")
    shot("home")
    _tap_until(kiosk, "办事指南", "社保")
    _tap_until(kiosk, "社保", "社会保障卡补换领")
    shot("guide")
    _tap_until(kiosk, "社会保障卡补换领", "开始办理")
    _tap_until(kiosk, "开始办理", "放一张测试卡")
    _tap_until(kiosk, "放一张测试卡", "继续")
    _tap_until(kiosk, "继续", "遗失")
    kiosk.tap_label("遗失")
    _tap_until(kiosk, "联系电话", "确定")
    for digit in "13800001111":
        kiosk.tap_label(f" {digit} ")
        time.sleep(0.3)
    _tap_until(kiosk, "确定", "下一步")
    shot("form")
    _tap_until(kiosk, "下一步", "确认提交", last=True)
    shot("review")
    _tap_until(kiosk, "确认提交", "申请已受理", last=True)
    wait_for(lambda: "回执已打印" in kiosk.text(), 30, "the receipt printed")
    shot("result")
    return shots


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for mode in ("normal", "elder"):
        with xvfb() as display, kiosk_in_kitty(display, out / f"run-{mode}") as kiosk:
            for path in tour(kiosk, display, out, mode):
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
