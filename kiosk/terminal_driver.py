"""Textual's Linux driver, made to notice when its terminal goes away.

Textual 8.2.8 hangs when the pty vanishes (tmux killed, the terminal emulator crashing):
its output thread dies on the first EIO, the 30-slot output queue fills, and the next
`WriterThread.write` / `stop` blocks in `Queue.put` for ever, on the UI thread (in
`App._shutdown` → `LinuxDriver.close` → `WriterThread.stop`). Its input thread, reading a
hung-up tty, either panics on EIO or spins on EOF. Here:

- output goes through `GuardedOutput`: EIO/EBADF, or a terminal that takes no bytes for
  `stall_s`, marks the terminal lost; from then on output is dropped, so the queue always
  drains and `close()` returns;
- input stops on EOF or a read error instead of spinning or panicking;
- either way `on_lost(detail)` is called once (from the thread that saw it).

Only the output file and the input loop differ from Textual's driver; the loop follows
`LinuxDriver.run_input_thread` of Textual 8.2.8.
"""

from __future__ import annotations

import os
import select
import selectors
import sys
import threading
from codecs import getincrementaldecoder
from collections.abc import Callable
from io import TextIOWrapper
from typing import IO, TYPE_CHECKING, cast

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

if TYPE_CHECKING:
    from textual.app import App

LostCallback = Callable[[str], None]


class GuardedOutput:
    """The file Textual's output thread writes to: bounded writes, straight to the fd."""

    CHUNK = 1024  # a tty reports writable with < 256 bytes queued: a chunk never blocks long

    def __init__(self, stream: IO[str], on_lost: LostCallback, stall_s: float) -> None:
        self._stream = stream
        self._fd = stream.fileno()
        self._encoding = getattr(stream, "encoding", None) or "utf-8"
        self._on_lost = on_lost
        self.stall_s = stall_s
        self.lost = threading.Event()
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLOUT)

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.lost.is_set():
            return len(text)  # dropped: nobody can see it
        data = memoryview(text.encode(self._encoding, "replace"))
        try:
            while data:
                ready = self._wait_writable()
                if not ready:
                    self.mark_lost(f"terminal took no output for {self.stall_s:g} s")
                    break
                if ready[0][1] & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                    self.mark_lost("terminal hung up")
                    break
                data = data[os.write(self._fd, data[: self.CHUNK]) :]
        except OSError as exc:  # EIO: the pty's other side is gone
            self.mark_lost(f"writing to the terminal failed: {exc.strerror or exc}")
        return len(text)

    def _wait_writable(self) -> list[tuple[int, int]]:
        """poll() in short slices, so a shorter `stall_s` (set when shutting down) counts."""
        waited = 0.0
        while waited < self.stall_s:
            ready = self._poll.poll(250)
            if ready:
                return ready
            waited += 0.25
        return []

    def flush(self) -> None:
        return  # nothing is buffered here

    def mark_lost(self, detail: str) -> None:
        if not self.lost.is_set():
            self.lost.set()
            self._on_lost(detail)


class KioskDriver(LinuxDriver):
    """LinuxDriver whose exit cannot hang on a vanished terminal (see module docstring)."""

    on_lost: LostCallback = staticmethod(lambda detail: None)  # set by `with_callback`
    stall_s: float = 5.0

    @classmethod
    def with_callback(cls, on_lost: LostCallback, stall_s: float = 5.0) -> type[KioskDriver]:
        """A driver class for `App.driver_class` that reports a lost terminal to `on_lost`."""
        return type("KioskDriver", (cls,), {"on_lost": staticmethod(on_lost), "stall_s": stall_s})

    def __init__(
        self,
        app: App,
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        stream = sys.__stderr__
        assert stream is not None, "the kiosk needs a terminal on stderr"
        self._output = GuardedOutput(stream, self.on_lost, self.stall_s)
        # Textual's WriterThread writes here. Textual types it TextIOWrapper but calls only
        # write, flush, fileno and isatty, which GuardedOutput has.
        self._file = cast("TextIOWrapper", self._output)

    def stop_application_mode(self) -> None:
        # Leaving: a terminal that takes no output for half a second is not waited for
        # (the full stall time would eat the kiosk's whole grace period).
        self._output.stall_s = min(self._output.stall_s, 0.5)
        super().stop_application_mode()

    @property
    def terminal_lost(self) -> bool:
        return self._output.lost.is_set()

    def _run_input_thread(self) -> None:
        try:
            self.run_input_thread()
        except OSError as exc:
            self._output.mark_lost(f"reading the terminal failed: {exc.strerror or exc}")

    def run_input_thread(self) -> None:
        """Textual's input loop, ending on EOF (a hung-up tty reads empty) or read errors."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def feed(data: bytes, final: bool = False) -> None:
            for event in parser.feed(decode(data, final=final)):
                self.process_message(event)

        try:
            while not self.exit_event.is_set() and not self._output.lost.is_set():
                if selector.select(0.1):
                    data = os.read(self.fileno, 4096)
                    if not data:
                        self._output.mark_lost("the terminal's input ended (EOF)")
                        break
                    feed(data)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
