"""Start the platform side of the app's services: the platform client, the outbox and sync.

Built-in mode starts the reference server in-process on loopback (and registers the
configured terminal id/secret with it); remote mode talks to config.platform.url over TLS.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.platform.client import PlatformClient
from kiosk.platform.errors import PlatformError

log = logging.getLogger(__name__)


def terminal_secret(platform_config: Any) -> str:
    if platform_config.secret_file:
        path = Path(platform_config.secret_file).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise RuntimeError(
                f"platform.secret_file {path}: cannot be read ({exc.strerror})"
            ) from None
    return platform_config.terminal_secret


def start_platform_services(services: Any) -> None:
    config = services.config
    pc = config.platform
    data_dir = config.terminal.data_path
    secret = terminal_secret(pc)
    key_path: Path | None = Path(pc.public_key_file).expanduser() if pc.public_key_file else None
    if pc.mode == "builtin":
        from kiosk.platform.embedded import EmbeddedPlatform

        embedded = EmbeddedPlatform(
            pc.server_data_path(data_dir), database_url=pc.database_url or None
        )
        base_url = embedded.start()
        services._embedded = embedded
        assert embedded.server is not None
        embedded.server.storage.add_terminal(config.terminal.id, secret)
        key_path = key_path or embedded.public_key_path
    else:
        base_url = pc.url
    client = PlatformClient(
        base_url, config.terminal.id, secret, timeout=pc.timeout_s, ca_file=pc.ca_file
    )
    services.platform = client
    if key_path is None:
        key_path = _fetch_public_key(client, data_dir / "platform_x25519.pub")
    # The sync thread gets its own connection pool so a slow drain never delays a screen.
    sync_client = PlatformClient(
        base_url, config.terminal.id, secret, timeout=pc.timeout_s, ca_file=pc.ca_file
    )
    _start_outbox(services, key_path, sync_client)
    from kiosk.platform.heartbeat import HeartbeatWorker

    services.heartbeat = HeartbeatWorker(services, client, pc.heartbeat_s).start()


def _fetch_public_key(client: PlatformClient, cache: Path) -> Path | None:
    """Remote mode without public_key_file: use the cached key, else fetch it once over TLS."""
    if cache.exists():
        return cache
    try:
        pem = client.public_key()["public_key_pem"]
    except PlatformError as exc:
        log.warning("platform public key not available yet: %s", exc)
        return None
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(pem)
    return cache


def _start_outbox(
    services: Any, key_path: Path | None, client: PlatformClient, start_fresh: bool = False
) -> None:
    try:
        from kiosk.offline.outbox import Outbox, OutboxError
        from kiosk.offline.sync import SyncWorker
    except ModuleNotFoundError as exc:
        services.failures["outbox"] = f"not available: {exc.name}"
        return
    from kiosk.offline.crypto import load_public_key

    config = services.config
    public_key = load_public_key(key_path) if key_path and key_path.exists() else None
    if public_key is None:
        services.failures["outbox"] = (
            "no platform public key: the outbox drains but cannot take new items"
        )
    path = config.outbox.path or config.terminal.data_path / "outbox.sqlite3"
    try:
        services.outbox = Outbox.open(
            Path(path).expanduser(), public_key, terminal_id=config.terminal.id,
            start_fresh=start_fresh,
        )  # fmt: skip
    except OutboxError as exc:
        # A damaged or vanished outbox is kept aside, never silently replaced: staff decide
        # (staff menu: start a new outbox). Everything else keeps running meanwhile.
        log.error("outbox unavailable", extra={"error": str(exc)})
        services.failures["outbox"] = str(exc)
        services.reopen_outbox = lambda: _start_outbox(services, key_path, client, start_fresh=True)
        return
    if public_key is not None:
        services.failures.pop("outbox", None)
    services.sync = SyncWorker(services.outbox, client, config.outbox)
    services.sync.start()
