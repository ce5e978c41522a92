"""Start the platform side of the app's services: the platform client, the outbox and sync.

Built-in mode starts the reference server in-process on loopback and enrolls the terminal's
own Ed25519 key with it; it is the demo (the platform's private key lives on this disk, which
the log and the staff screen say). Remote mode talks to config.platform.url over TLS and signs
with the terminal's key (`platform.key_file`, default <data_dir>/terminal_ed25519.key, made
by `kiosk platform terminal-key` and enrolled with `kiosk platform enroll`); a shared HMAC
secret is used only when no key exists (demo platforms), and the demo one is reported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import gm
from kiosk.demo import demo_secrets_in_use
from kiosk.platform.client import PlatformClient
from kiosk.platform.errors import PlatformError
from kiosk.platform.signing import (
    Ed25519Signer,
    HmacSigner,
    Signer,
    Sm2Signer,
    generate_terminal_key,
    load_terminal_key,
)

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.platform.embedded import EmbeddedPlatform
    from kiosk.services import Services

log = logging.getLogger(__name__)
TERMINAL_KEY_FILE = "terminal_ed25519.key"
TERMINAL_SM2_KEY_FILE = "terminal_sm2.key"


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


def terminal_key_path(config: KioskConfig) -> Path:
    pc = config.platform
    if pc.key_file:
        return pc.key_file.expanduser()
    name = TERMINAL_SM2_KEY_FILE if pc.crypto == "gm" else TERMINAL_KEY_FILE
    return config.terminal.data_path / name


def terminal_signer(config: KioskConfig) -> tuple[Signer, str | None]:
    """How this terminal signs: (signer, the shared secret if it signs with one)."""
    path = terminal_key_path(config)
    gm_mode = config.platform.crypto == "gm"
    if config.platform.mode == "builtin" and not path.exists():
        if gm_mode:
            gm.write_private_key(path)
        else:
            generate_terminal_key(path)
    if path.exists():
        try:
            if gm_mode:
                return Sm2Signer(gm.load_private_key(path)), None
            return Ed25519Signer(load_terminal_key(path)), None
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"platform.key_file {path}: cannot be used ({exc})") from None
    if config.platform.key_file:
        raise RuntimeError(f"platform.key_file {path}: not found (kiosk platform terminal-key)")
    secret = terminal_secret(config.platform)
    return HmacSigner(secret), secret


def connect(config: KioskConfig) -> tuple[str, Signer, list[str], EmbeddedPlatform | None]:
    """(base URL, signer, demo secrets in use, the built-in server if started)."""
    pc = config.platform
    signer, secret = terminal_signer(config)
    embedded = None
    if pc.mode == "builtin":
        from kiosk.platform.embedded import EmbeddedPlatform

        # Only this terminal's key is accepted, even on loopback: no demo terminal.
        embedded = EmbeddedPlatform(
            pc.server_data_path(config.terminal.data_path),
            database_url=pc.database_url or None, demo=False,
        )  # fmt: skip
        base_url = embedded.start()
        assert embedded.server is not None
        if isinstance(signer, Sm2Signer):
            embedded.server.storage.enroll(config.terminal.id, signer.public_key_text, "sm2")
        else:
            assert isinstance(signer, Ed25519Signer)
            embedded.server.storage.enroll(config.terminal.id, signer.public_key_b64)
    else:
        base_url = pc.url
    demo = demo_secrets_in_use(config, secret)
    if demo:
        log.warning(
            "DEMO SECRETS IN USE: anyone can act as this terminal or its staff (%s)%s",
            ", ".join(demo),
            "; built-in platform: a demo whose private key lives on this disk, so the disk "
            "opens the sealed outbox"
            if pc.mode == "builtin"
            else "",
            extra={"demo_secrets": demo},
        )
    return base_url, signer, demo, embedded


def start_platform_services(services: Services) -> None:
    config = services.config
    pc = config.platform
    data_dir = config.terminal.data_path
    key_path: Path | None = Path(pc.public_key_file).expanduser() if pc.public_key_file else None
    base_url, secret, demo, embedded = connect(config)
    gm_mode = pc.crypto == "gm"
    if embedded is not None:
        services._embedded = embedded
        assert embedded.server is not None
        server_key = embedded.server.sm2_public_key_path if gm_mode else embedded.public_key_path
        key_path = key_path or server_key
    client = PlatformClient(
        base_url, config.terminal.id, secret, timeout=pc.timeout_s, ca_file=pc.ca_file
    )
    client.demo_secrets = demo
    services.platform = client
    if key_path is None:
        cache = data_dir / ("platform_sm2.pub" if gm_mode else "platform_x25519.pub")
        key_path = _fetch_public_key(client, cache, gm_mode)
    # The sync thread gets its own connection pool so a slow drain never delays a screen.
    sync_client = PlatformClient(
        base_url, config.terminal.id, secret, timeout=pc.timeout_s, ca_file=pc.ca_file
    )
    _start_outbox(services, key_path, sync_client)
    from kiosk.platform.heartbeat import HeartbeatWorker

    services.heartbeat = HeartbeatWorker(services, client, pc.heartbeat_s).start()


def _fetch_public_key(client: PlatformClient, cache: Path, gm_mode: bool) -> Path | None:
    """Remote mode without public_key_file: use the cached key, else fetch it once over TLS."""
    if cache.exists():
        return cache
    try:
        keys = client.public_key()
        pem = keys["sm2_public_key"] if gm_mode else keys["public_key_pem"]
    except PlatformError as exc:
        log.warning("platform public key not available yet: %s", exc)
        return None
    if not pem:
        log.warning("the platform offers no SM2 key: 国密 sealing is not possible")
        return None
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(pem)
    return cache


def _start_outbox(
    services: Any, key_path: Path | None, client: PlatformClient, start_fresh: bool = False
) -> None:
    try:
        from kiosk.offline.outbox import Outbox, OutboxError
        from kiosk.offline.sync import SyncState, SyncWorker
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
    if services.outbox.recovery is not None:  # rebuilt from a damaged file: staff should know
        services.report_problem("outbox_recovered", services.outbox.recovery.summary())

    def on_state(state: SyncState) -> None:
        # A clock the platform refuses is its own problem for staff, not "offline".
        if state.status == "clock_skew":
            services.report_problem(
                "clock", f"{state.clock_message() or 'terminal clock is off'}: sync waits for it"
            )
        else:
            services.clear_problem("clock")

    services.sync = SyncWorker(services.outbox, client, config.outbox, on_state=on_state)
    services.sync.start()
