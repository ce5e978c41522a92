"""Make the terminal's cells larger for 长辈模式: the kiosk's terminal emulator switches its
font size, the terminal sends SIGWINCH, and Textual lays the app out again on the smaller grid
(about 64×20 cells at 1080p), so all text is real glyphs, larger.

- kitty (the shipped launcher, deploy/kiosk-display): kitty's remote control protocol on the
  socket kitty was started with (`--listen-on unix:…`, exported to the kiosk as
  KITTY_LISTEN_ON): `ESC P @kitty-cmd {"cmd": "set-font-size", …} ESC \\`.
- xterm: the font operation OSC 50 (`ESC ] 50 ; xft:Family:size=N BEL`), written to the
  terminal itself, then "maximize" (`CSI 9 ; 1 t`): xterm keeps its grid and resizes its
  window on a font change, so it is asked to fill the screen again, which gives the smaller
  grid (xterm needs `allowFontOps` and window op 9; the launcher allows just those).
- anything else (SSH, tmux, the Linux console): no switch; 长辈模式 still works on the normal
  grid with its larger targets and half-block headings.

Headless: no Textual; blocking socket I/O, so callers run `set_size` off the UI thread.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

Mode = Literal["auto", "kitty", "xterm", "none"]
DEFAULT_FAMILY = "WenQuanYi Zen Hei Mono"
# The protocol version we speak: kitty refuses a client newer than itself. Debian 12 ships
# 0.26.5; set-font-size has been in the protocol since 0.14.
KITTY_PROTOCOL_VERSION = (0, 14, 2)


class FontSwitchError(RuntimeError):
    """The terminal could not be asked to change its font (says why, for the technician)."""


class FontSwitch(Protocol):
    kind: str

    def set_size(self, points: float) -> None: ...

    def describe(self) -> str: ...


@dataclass
class KittyFont:
    """kitty's remote control over its Unix socket."""

    address: str  # "unix:/path" or "unix:@abstract"
    timeout_s: float = 2.0
    kind: str = "kitty"

    def set_size(self, points: float) -> None:
        command = {
            "cmd": "set-font-size",
            "version": list(KITTY_PROTOCOL_VERSION),
            "no_response": False,
            "payload": {"size": points, "all": True},
        }
        frame = b"\x1bP@kitty-cmd" + json.dumps(command).encode() + b"\x1b\\"
        reply = self._exchange(frame)
        body = reply.removeprefix(b"\x1bP@kitty-cmd").removesuffix(b"\x1b\\")
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise FontSwitchError(f"kitty answered {reply[:80]!r}") from exc
        if not answer.get("ok"):
            raise FontSwitchError(f"kitty refused set-font-size: {answer.get('error', answer)}")

    def _exchange(self, frame: bytes) -> bytes:
        path = self.address.removeprefix("unix:")
        target = "\0" + path[1:] if path.startswith("@") else path
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout_s)
                sock.connect(target)
                sock.sendall(frame)
                reply = b""
                while not reply.endswith(b"\x1b\\"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
        except OSError as exc:
            raise FontSwitchError(f"kitty socket {self.address}: {exc}") from exc
        return reply

    def describe(self) -> str:
        return f"kitty remote control at {self.address}"


@dataclass
class XtermFont:
    """xterm's OSC 50 font operation, written through the app's own terminal output."""

    write: Callable[[str], None]
    family: str = DEFAULT_FAMILY
    kind: str = "xterm"

    def set_size(self, points: float) -> None:
        self.write(osc50(self.family, points) + MAXIMIZE)

    def describe(self) -> str:
        return f"xterm font ops (OSC 50, {self.family})"


@dataclass
class NoFont:
    reason: str
    kind: str = "none"

    def set_size(self, points: float) -> None:
        """Nothing to do: 长辈模式 stays on the terminal's grid."""

    def describe(self) -> str:
        return f"no font switch ({self.reason})"


MAXIMIZE = "\x1b[9;1t"


def osc50(family: str, points: float) -> str:
    size = f"{points:g}"
    return f"\x1b]50;xft:{family}:size={size}\x07"


def detect(
    mode: Mode,
    environ: Mapping[str, str] | None = None,
    write: Callable[[str], None] | None = None,
    family: str = DEFAULT_FAMILY,
) -> FontSwitch:
    """The font switch for the terminal the kiosk runs in (`mode` "auto" looks at the
    variables kitty and xterm set for their children)."""
    env = os.environ if environ is None else environ
    kitty_socket = env.get("KITTY_LISTEN_ON", "")
    if mode in ("auto", "kitty") and kitty_socket.startswith("unix:"):
        return KittyFont(kitty_socket)
    if mode == "kitty":
        return NoFont("kitty has no remote control socket: start it with --listen-on unix:…")
    if mode in ("auto", "xterm") and (env.get("XTERM_VERSION") or mode == "xterm"):
        if write is None:
            return NoFont("xterm, but nothing to write its font operation to")
        return XtermFont(write, family)
    if mode == "none":
        return NoFont("font switching turned off (ui.font_control = none)")
    return NoFont(f"terminal {env.get('TERM', '?')} cannot change its font from inside")
