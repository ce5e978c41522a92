"""长辈模式 with real glyphs: the kiosk's terminal switches its font size, so the whole app
lays out on a grid of about 70×20 cells (1080p). Against real terminals on a real X screen:
kitty through the shipped launcher with the kiosk inside, and xterm's font operations."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from kiosk.display.font import KittyFont, NoFont, XtermFont, detect, osc50
from tests.xvfb_helpers import kiosk_in_kitty, need, screenshot, wait_for, xvfb


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $KIOSK_SCREENSHOTS (to refresh the README's), else tmp."""
    return Path(os.environ.get("KIOSK_SCREENSHOTS") or tmp_path / "shots")


def test_detect_picks_the_terminal_the_kiosk_runs_in() -> None:
    kitty = detect("auto", {"KITTY_LISTEN_ON": "unix:/run/user/0/k.sock", "TERM": "xterm-kitty"})
    assert isinstance(kitty, KittyFont) and kitty.address == "unix:/run/user/0/k.sock"
    lines: list[str] = []
    xterm = detect("auto", {"XTERM_VERSION": "XTerm(379)", "TERM": "xterm"}, lines.append)
    assert isinstance(xterm, XtermFont)
    xterm.set_size(34)
    assert lines == [osc50("WenQuanYi Zen Hei Mono", 34) + "\x1b[9;1t"]
    # Over SSH or in tmux: no switch, and the technician is told why (the resident is not).
    ssh = detect("auto", {"TERM": "tmux-256color", "SSH_CONNECTION": "10.0.0.1 22"})
    assert isinstance(ssh, NoFont) and "tmux-256color" in ssh.describe()
    ssh.set_size(34)  # does nothing, raises nothing
    assert isinstance(detect("none", {"KITTY_LISTEN_ON": "unix:/x"}), NoFont)
    assert "--listen-on" in detect("kitty", {}).describe()


def test_kitty_font_reports_a_dead_socket(tmp_path: Path) -> None:
    from kiosk.display.font import FontSwitchError

    font = KittyFont(f"unix:{tmp_path / 'gone.sock'}", timeout_s=1)
    try:
        font.set_size(34)
    except FontSwitchError as exc:
        assert "gone.sock" in str(exc)
    else:
        raise AssertionError("a missing kitty socket must raise FontSwitchError")


def test_elder_mode_switches_kittys_font_and_the_kiosk_lays_out_again(tmp_path: Path) -> None:
    need("kitty", "xdotool", "import")
    with xvfb() as display, kiosk_in_kitty(display, tmp_path) as kiosk:
        wait_for(lambda: "刷身份证" in kiosk.text(), 60, "the home screen in kitty")
        normal = kiosk.grid()
        assert normal[0] >= 120 and normal[1] >= 40, normal  # 14 pt on 1920×1080
        screenshot(display, shots(tmp_path) / "home-normal-kitty.png")

        kiosk.tap_label("长辈模式")  # a touch, through X, into kitty, into the kiosk
        wait_for(lambda: kiosk.grid()[0] < 80, 20, "kitty's larger font")
        columns, lines = kiosk.grid()
        assert 60 <= columns <= 80 and 18 <= lines <= 22, (columns, lines)
        # The kiosk re-laid itself out on the new grid: its home buttons are on screen.
        wait_for(lambda: "办事指南" in kiosk.text() and "刷身份证" in kiosk.text(), 20, "home")
        screenshot(display, shots(tmp_path) / "home-elder-kitty.png")

        kiosk.tap_label("长辈模")
        wait_for(lambda: kiosk.grid() == normal, 20, "the normal font again")


def test_xterm_font_ops_give_the_larger_grid(tmp_path: Path) -> None:
    need("xterm")
    sizes = tmp_path / "sizes"
    child = tmp_path / "child.py"
    # The child does what the kiosk does in xterm: writes the font operation to its terminal.
    child.write_text(
        textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from kiosk.display.font import XtermFont
        out = open({str(sizes)!r}, "w")
        out.write("%d %d\\n" % os.get_terminal_size()); out.flush()
        XtermFont(lambda s: (sys.stdout.write(s), sys.stdout.flush())).set_size(34)
        time.sleep(2)
        out.write("%d %d\\n" % os.get_terminal_size()); out.close()
        """)
    )
    with xvfb() as display:
        subprocess.run(
            ["xterm", "-geometry", "200x60+0+0", "-fa", "WenQuanYi Zen Hei Mono", "-fs", "14",
             "-xrm", "XTerm*allowFontOps: true", "-xrm", "XTerm*allowWindowOps: true",
             "-e", sys.executable, str(child)],
            env={**os.environ, "DISPLAY": display}, timeout=60, check=True,
        )  # fmt: skip
    before, after = (tuple(map(int, line.split())) for line in sizes.read_text().splitlines())
    assert before == (200, 60)
    assert after[0] < 80 and after[1] < 24, after
