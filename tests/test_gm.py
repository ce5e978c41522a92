"""国密 as an option (platform.crypto = "gm"): SM2 request signatures with SM3 digests and
SM2 + SM4-GCM sealing, end to end against the reference platform on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from kiosk import gm
from kiosk.config import KioskConfig
from kiosk.offline.crypto import Sealed, SealError, open_sealed, seal
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.signing import Sm2Signer, sign_request
from kiosk.platform.testing import DEMO_ID_NUMBER, demo_jpeg
from kiosk.platform.wiring import start_platform_services
from kiosk.services import Services

ROOT = Path(__file__).resolve().parents[1]
# Every device off: the emulated A4 printer runs its own cupsd, which writes its own files
# (CUPS's modes, inside the 0700 data dir); this is about what the kiosk writes.
OFF = {k: {"mode": "off"} for k in ("idcard", "smartcard", "printer", "camera", "a4printer")}


def test_sm2_sm4_sealing_opens_only_with_its_key_and_item() -> None:
    key = gm.generate_private_key()
    sealed = seal(key.public_key(), b'{"id_number": "x"}', bind="item-1")
    assert sealed.kid.startswith("sm2-") and sealed.blob.startswith(b"GM1")
    assert open_sealed({sealed.kid: key}, sealed, "item-1") == b'{"id_number": "x"}'
    for keys, bind, blob in (
        ({sealed.kid: key}, "item-2", sealed.blob),  # moved to another item
        ({sealed.kid: gm.generate_private_key()}, "item-1", sealed.blob),  # another key
        ({sealed.kid: key}, "item-1", sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1])),
    ):
        with pytest.raises(SealError):
            open_sealed(keys, Sealed(sealed.kid, blob), bind)  # type: ignore[arg-type]
    assert gm.sm3_hex(b"abc") == (  # GB/T 32905 example 1
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_gm_terminal_on_the_builtin_platform_end_to_end(tmp_path: Path) -> None:
    config = KioskConfig.model_validate({
        "terminal": {"id": "KIOSK-GM-0001", "data_dir": str(tmp_path)},
        "platform": {"crypto": "gm"}, "devices": OFF,
    })  # fmt: skip
    services = Services(config)
    try:
        start_platform_services(services)
        assert isinstance(services.platform._secret, Sm2Signer)
        assert (tmp_path / "terminal_sm2.key").stat().st_mode & 0o777 == 0o600
        key = str(uuid.uuid4())
        services.outbox.enqueue(key, "application", "s", {"service_code": "SB002"},
                                {"id_number": DEMO_ID_NUMBER, "phone": "13800000901"})  # fmt: skip
        kid = services.outbox._conn.execute(
            "SELECT kid FROM outbox WHERE key = ?", (key,)).fetchone()[0]  # fmt: skip
        assert kid.startswith("sm2-")  # sealed with SM2 + SM4
        assert services.sync.wait_delivered(key, timeout=30) is not None
        reference = services.outbox.reference_for(key)
        assert reference and reference.startswith("ZW")  # the platform opened it: accepted
        assert services.platform.progress(reference)["service_name"] == "社会保障卡补换领"
        assert services.heartbeat.beat() == []  # signed heartbeats go through
        verified = services.platform.verify_identity(id_number=DEMO_ID_NUMBER,
                                                     face_jpeg=demo_jpeg())  # fmt: skip
        assert verified["verified"]
        record = services.platform.record(DEMO_ID_NUMBER, "housing_fund")
        assert record["masked_id_number"] == "1101**********901X"
        storage = services._embedded.server.storage
        assert storage.terminal_key("KIOSK-GM-0001").scheme == "sm2"
    finally:
        services.stop()


def test_gm_terminal_enrolled_on_a_remote_platform(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIOSK_PLATFORM__CRYPTO": "gm",
           "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "terminal")}  # fmt: skip
    made = subprocess.run([sys.executable, "-m", "kiosk", "platform", "terminal-key"],
                          env=env, capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    public = made.stdout.split("--public-key ")[1].split()[0]
    assert public.startswith("sm2:")
    with EmbeddedPlatform(tmp_path / "province", demo=False) as platform:
        enrolled = subprocess.run(
            [sys.executable, "-m", "kiosk", "platform", "enroll", "KIOSK-GM-0002",
             "--public-key", public, "--data-dir", str(platform.data_dir)],
            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
        config = KioskConfig.model_validate({
            "terminal": {"id": "KIOSK-GM-0002", "data_dir": str(tmp_path / "terminal")},
            "platform": {"mode": "remote", "url": platform.base_url, "crypto": "gm"},
            "devices": OFF,
        })  # fmt: skip
        services = Services(config)
        try:
            start_platform_services(services)  # fetches the platform's SM2 key over the API
            assert (tmp_path / "terminal" / "platform_sm2.pub").read_text().startswith("sm2:")
            key = str(uuid.uuid4())
            services.outbox.enqueue(key, "application", "s", {"service_code": "SB002"},
                                    {"id_number": DEMO_ID_NUMBER})  # fmt: skip
            assert services.sync.wait_delivered(key, timeout=30) is not None
            assert services.outbox.reference_for(key)
            signer = services.platform._secret
        finally:
            services.stop()
        # a forged or altered SM2 signature is refused like any other
        body = json.dumps({"version": "x"}).encode()
        headers = sign_request(signer, "KIOSK-GM-0002", "POST", "/v1/heartbeat", body,
                               now=time.time())  # fmt: skip
        assert httpx.post(platform.base_url + "/v1/heartbeat", content=body,
                          headers=headers, timeout=10).status_code == 200  # fmt: skip
        headers = sign_request(signer, "KIOSK-GM-0002", "POST", "/v1/heartbeat", body)
        sig = headers["X-Signature"]
        headers["X-Signature"] = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        reply = httpx.post(platform.base_url + "/v1/heartbeat", content=body, headers=headers,
                           timeout=10)  # fmt: skip
        assert (reply.status_code, reply.json()["error"]) == (401, "bad_signature")
