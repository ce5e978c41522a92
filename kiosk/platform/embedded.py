"""The reference server run in-process on loopback: the built-in mode and the tests' peer.

`EmbeddedPlatform(data_dir).start()` binds 127.0.0.1 on an ephemeral port (unless told a
port), serves with uvicorn in a background thread and returns the base URL. It is the demo:
unless told `demo=False` it accepts the demo terminal "KIOSK-DEMO-0001" with the public demo
secret (kiosk/demo.py), and its private key lives in `data_dir`, on the terminal's own disk.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.demo import DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET

if TYPE_CHECKING:
    import uvicorn

    from kiosk.platform.server.app import PlatformServer
    from kiosk.platform.server.console.settings import ConsoleSettings
    from kiosk.platform.server.faults import Fault, FaultInjector

log = logging.getLogger(__name__)


class EmbeddedPlatform:
    terminal_id = DEMO_TERMINAL_ID
    terminal_secret = DEMO_TERMINAL_SECRET

    def __init__(
        self,
        data_dir: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        database_url: str | None = None,
        faults: Iterable[Fault] = (),
        console: ConsoleSettings | None = None,
        demo: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.host, self.port = host, port
        self.database_url = database_url
        self._faults = list(faults)
        self._console = console
        self.demo = demo
        self.server: PlatformServer | None = None
        self.base_url = ""
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def public_key_path(self) -> Path:
        return self.data_dir / "platform_x25519.pub"

    @property
    def faults(self) -> FaultInjector:
        """Change misbehaviour at runtime: `.faults.add(Fault("drop", count=1))`, `.clear()`."""
        assert self.server is not None, "start() first"
        return self.server.faults

    @property
    def admin_headers(self) -> dict[str, str]:
        """What an admin call needs: the server's admin token."""
        assert self.server is not None, "start() first"
        return {"Authorization": f"Bearer {self.server.console.admin_token}"}

    def start(self, timeout: float = 10.0) -> str:
        import uvicorn  # lazy: the kiosk's first screen does not wait for it

        from kiosk.platform.server.app import PlatformServer

        self.server = PlatformServer(
            self.data_dir, self.database_url, self._faults, self._console, demo=self.demo
        )
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and
        # without it Nagle + delayed ACK add 40 ms to every response.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.server.app, log_level="warning", access_log=False, lifespan="off",
            timeout_graceful_shutdown=2, timeout_keep_alive=30,
        )  # fmt: skip
        self._uvicorn = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name="platform-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                self.server.close()
                raise RuntimeError(f"platform server did not start on {self.host}:{port}")
            time.sleep(0.01)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{shown}:{port}"
        log.info("embedded platform at %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive() and self._uvicorn is not None:
                self._uvicorn.force_exit = True
                self._thread.join(timeout=2)
        if self.server is not None:
            self.server.close()
        self._thread = self._uvicorn = None

    def __enter__(self) -> EmbeddedPlatform:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
