"""At rest on the terminal: the data dir 0700 and its files 0600 from the first write, and in
remote mode nothing on the terminal's disk opens the sealed outbox."""

from __future__ import annotations

import base64
import contextlib
import os
import stat
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from kiosk.config import KioskConfig
from kiosk.offline.crypto import Sealed, SealError, open_sealed
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.wiring import start_platform_services
from kiosk.services import Services

ROOT = Path(__file__).resolve().parents[1]
# Every device off: the emulated A4 printer runs its own cupsd, which writes its own files
# (CUPS's modes, inside the 0700 data dir); this is about what the kiosk writes.
OFF = {k: {"mode": "off"} for k in ("idcard", "smartcard", "printer", "camera", "a4printer")}

# What `kiosk run` does before the screen (logging, then every part), with the umask a
# login shell gives (022): the `kiosk` command itself must make the files private.
START = textwrap.dedent("""
    import os, sys, uuid
    os.umask(0o022)
    from kiosk.cli import main
    from kiosk.commands import run
    from kiosk.logging_setup import setup_logging
    from kiosk.services import Services

    def handle(args):
        from kiosk.commands import config_from
        config = config_from(args)
        setup_logging(config.terminal.log_path)
        services = Services(config)
        services.start()
        services.outbox.enqueue(str(uuid.uuid4()), "application", "s", {"service_code": "SB002"},
                                {"id_number": "11010119900101901X"})
        services.record_audit("started")
        services.stop()
        return 0

    run.handle = handle
    sys.exit(main(["--config", sys.argv[1], "run"]))
""")


def test_data_dir_and_files_are_private_from_the_first_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = data / "printer"  # left by an earlier version, world-readable
    old.mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)
    (old / "pending.json").write_text("{}")
    os.chmod(old / "pending.json", 0o644)
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[terminal]\ndata_dir = "{data}"\n' + "".join(
        f'[devices.{kind}]\nmode = "off"\n' for kind in OFF))  # fmt: skip
    done = subprocess.run([sys.executable, "-c", START, str(config)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = [data, *data.rglob("*")]
    names = {p.name for p in found}
    assert {"kiosk.log", "outbox.sqlite3", "terminal_ed25519.key", "platform_x25519.key"} <= names
    loose = [
        (str(p.relative_to(tmp_path)), oct(stat.S_IMODE(p.stat().st_mode)))
        for p in found
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert loose == []  # nothing readable, writable or searchable by group or others


def test_remote_mode_keeps_no_key_that_opens_the_outbox(tmp_path: Path) -> None:
    with EmbeddedPlatform(tmp_path / "province", demo=False) as platform:
        config = KioskConfig.model_validate({
            "terminal": {"id": "KIOSK-HALL-0009", "data_dir": str(tmp_path / "terminal")},
            "platform": {"mode": "remote", "url": platform.base_url},
            "devices": OFF,
        })  # fmt: skip
        made = subprocess.run([sys.executable, "-m", "kiosk", "platform", "terminal-key", "--out",
                               str(tmp_path / "terminal" / "terminal_ed25519.key")],
                              check=True, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        public = made.stdout.split("--public-key ")[1].split()[0]  # as the README enrolls it
        platform.server.storage.enroll("KIOSK-HALL-0009", public)
        services = Services(config)
        try:
            services.start()
            key = str(uuid.uuid4())
            services.outbox.enqueue(key, "application", "s", {"service_code": "SB002"},
                                    {"id_number": "11010119900101901X"})  # fmt: skip
            kid, blob = services.outbox._conn.execute(
                "SELECT kid, sealed FROM outbox WHERE key = ?", (key,)
            ).fetchone()
        finally:
            services.stop()
        # Every file on the terminal, read as any kind of private key a disk thief would try.
        tried = 0
        for path in (tmp_path / "terminal").rglob("*"):
            if not path.is_file():
                continue
            raw = path.read_bytes()
            for candidate in _private_keys(raw):
                tried += 1
                try:
                    open_sealed({kid: candidate}, Sealed(kid, blob), key)
                except (SealError, TypeError, ValueError, AttributeError):
                    continue
                raise AssertionError(f"{path} opens the outbox")
        # the platform's key does open it: the item really is sealed and openable
        private = serialization.load_pem_private_key(
            (platform.data_dir / "platform_x25519.key").read_bytes(), None
        )
        assert open_sealed({kid: private}, Sealed(kid, blob), key)  # type: ignore[dict-item]
        assert tried >= 1  # the terminal's own signing key was tried, and cannot
        assert not (tmp_path / "terminal" / "platform").exists()  # no server data here


def _private_keys(raw: bytes) -> list[object]:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    keys: list[object] = []
    for text in raw.split(b"-----END"):
        start = text.find(b"-----BEGIN")
        if start >= 0:
            with contextlib.suppress(ValueError, TypeError):
                keys.append(serialization.load_pem_private_key(
                    text[start:] + b"-----END PRIVATE KEY-----\n", None))  # fmt: skip
    for chunk in (raw, _b64(raw)):  # a raw X25519 scalar, or base64 of one
        if chunk is not None and len(chunk) == 32:
            keys.append(X25519PrivateKey.from_private_bytes(chunk))
    return keys


def _b64(raw: bytes) -> bytes | None:
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        return None


def test_builtin_mode_is_the_demo_and_says_so(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    config = KioskConfig.model_validate({"terminal": {"data_dir": str(tmp_path)}, "devices": OFF})
    services = Services(config)
    try:
        with caplog.at_level("WARNING"):
            start_platform_services(services)
    finally:
        services.stop()
    assert "built-in platform: a demo whose private key lives on this disk" in caplog.text
