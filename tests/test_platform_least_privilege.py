"""Least privilege on the reference platform, tried as an attacker on loopback would.

No demo credential outside the demo (`platform serve` on PostgreSQL without --demo accepts
nothing signed with a demo secret), terminals known only by their Ed25519 public key, no QR
minting by terminals, records only after a verification of that resident at that terminal,
one answer for unknown and mismatched residents, a face check that wants one face, progress
scoped to the submitting terminal, unguessable references, nothing in clear in the database.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.demo import DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET
from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.errors import PlatformNotFound, PlatformRejected
from kiosk.platform.openapi import ROUTES
from kiosk.platform.signing import (
    Ed25519Signer,
    public_key_b64,
    resident_id_hash,
    sign_request,
)
from kiosk.platform.testing import DEMO_ID_NUMBER, demo_jpeg, make_item
from tests.test_platform_postgres import database_url  # noqa: F401 - the PostgreSQL fixture

OTHER_RESIDENT = "110102194203159057"  # another invented demo resident
UNKNOWN_RESIDENT = "110101198001010010"  # valid checksum, nobody in the demo data

# One request per signed endpoint of the API document, with a body the schema accepts.
_HASH = resident_id_hash(DEMO_ID_NUMBER)
SIGNED_REQUESTS = [
    ("GET", "/v1/keys", None),
    ("GET", "/v1/catalog", None),
    ("POST", "/v1/outbox/batch", {"items": []}),
    ("POST", "/v1/identity/verify", {"method": "qr", "token": "KQR1-x"}),
    ("GET", f"/v1/residents/{_HASH}/records/social_insurance?months=12", None),
    ("GET", "/v1/applications/ZW2026010100000100000", None),
    ("POST", "/v1/queue/tickets", {"service_code": "SB001"}),
    ("POST", "/v1/heartbeat", {"version": "x"}),
    ("POST", "/v1/certificates", {"service_code": "SB001", "id_hash": _HASH}),
    ("GET", "/v1/certificates/2222-3333-4444-5555/pdf", None),
    ("POST", "/v1/materials/sessions", {"service_code": "HJ004", "materials": ["户口簿"]}),
    ("GET", "/v1/materials/sessions/" + "0" * 32, None),
    ("GET", "/v1/materials/files/" + "0" * 32, None),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _signed(base: str, signer, terminal: str, method: str, path: str, body) -> httpx.Response:  # type: ignore[no-untyped-def]
    content = b"" if body is None else json.dumps(body).encode()
    headers = sign_request(signer, terminal, method, path, content)
    headers["Content-Type"] = "application/json"
    return httpx.request(method, base + path, content=content or None, headers=headers, timeout=10)


class Serve:
    """`kiosk platform serve` in a subprocess, as an operator starts it."""

    def __init__(self, data_dir: Path, url: str, *extra: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "platform", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--data-dir", str(data_dir),
             "--database-url", url, *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + "/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                self.stop()
                pytest.fail(f"platform serve did not start:\n{out}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def test_serve_on_postgres_without_demo_accepts_no_demo_secret(tmp_path, database_url):  # noqa: F811
    tried = [path for _, path, _ in SIGNED_REQUESTS]
    for _, route, *_, signed in ROUTES:  # every signed route of the document is tried
        assert not signed or any(p.startswith(route.split("{")[0]) for p in tried), route
    # A terminal enrolled the way the README says: key made on the terminal, public key given.
    key = Ed25519PrivateKey.generate()
    enroll = subprocess.run(
        [sys.executable, "-m", "kiosk", "platform", "enroll", "KIOSK-HALL-0001",
         "--public-key", public_key_b64(key.public_key()), "--data-dir", str(tmp_path),
         "--database-url", database_url],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert enroll.returncode == 0, enroll.stderr
    server = Serve(tmp_path, database_url)
    try:
        for terminal in (DEMO_TERMINAL_ID, "KIOSK-HALL-0001"):
            for method, path, body in SIGNED_REQUESTS:
                reply = _signed(server.base, DEMO_TERMINAL_SECRET, terminal, method, path, body)
                assert (reply.status_code, reply.json()["error"]) == (401, "bad_signature"), (
                    terminal, method, path, reply.text,
                )  # fmt: skip
        # the enrolled terminal's own key works, so the refusals above are about the secret
        ok = _signed(server.base, Ed25519Signer(key), "KIOSK-HALL-0001", "POST",
                     "/v1/heartbeat", {"version": "x"})  # fmt: skip
        assert ok.status_code == 200, ok.text
    finally:
        server.stop()
    # --demo is the only way in for the demo secret (and it says so)
    demo = Serve(tmp_path, database_url, "--demo")
    try:
        reply = _signed(demo.base, DEMO_TERMINAL_SECRET, DEMO_TERMINAL_ID, "POST",
                        "/v1/heartbeat", {"version": "x"})  # fmt: skip
        assert reply.status_code == 200, reply.text
    finally:
        demo.stop()
    # and the database never held a shared secret: only the enrolled public key
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, scheme, public_key FROM terminals").fetchall()
    assert rows == [("KIOSK-HALL-0001", "ed25519", public_key_b64(key.public_key()))]


# --- the rest on the in-process server, without the demo terminal -------------------------


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    with EmbeddedPlatform(tmp_path_factory.mktemp("platform"), demo=False) as p:
        yield p


def _terminal(platform: EmbeddedPlatform, terminal_id: str) -> PlatformClient:
    key = Ed25519PrivateKey.generate()
    assert platform.server is not None
    platform.server.storage.enroll(terminal_id, public_key_b64(key.public_key()))
    return PlatformClient(platform.base_url, terminal_id, Ed25519Signer(key), timeout=10)


@pytest.fixture(scope="module")
def hall(platform):
    with _terminal(platform, "KIOSK-HALL-0002") as client:
        yield client


@pytest.fixture(scope="module")
def village(platform):
    with _terminal(platform, "KIOSK-VILLAGE-0003") as client:
        yield client


def test_embedded_server_without_demo_refuses_the_demo_terminal(platform):
    reply = _signed(platform.base_url, DEMO_TERMINAL_SECRET, DEMO_TERMINAL_ID, "POST",
                    "/v1/heartbeat", {"version": "x"})  # fmt: skip
    assert reply.status_code == 401


def test_no_terminal_can_mint_qr_tokens(platform, hall):
    for path in ("/v1/demo/qr-tokens", "/v1/qr-tokens"):
        with pytest.raises(PlatformNotFound):
            hall.request("POST", path, {"id_number": DEMO_ID_NUMBER})
    assert not any("qr-token" in path for _, path, *_ in ROUTES)


def test_records_need_a_verification_of_that_resident_at_that_terminal(platform, hall, village):
    def refused(client: PlatformClient, number: str, verification: str | None = None) -> None:
        with pytest.raises(PlatformRejected) as info:
            client.record(number, "social_insurance", verification_id=verification)
        assert (info.value.status, info.value.code) == (403, "verification_required")

    refused(hall, DEMO_ID_NUMBER)  # nobody verified yet
    refused(hall, UNKNOWN_RESIDENT)  # an unknown resident gets the very same answer
    result = hall.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())
    assert result["verified"] and result["expires_at"]
    verification = result["verification_id"]
    record = hall.record(DEMO_ID_NUMBER, "social_insurance")  # the client sends it along
    assert record["masked_id_number"] == "1101**********901X"
    refused(hall, OTHER_RESIDENT, verification)  # bound to the resident
    refused(village, DEMO_ID_NUMBER, verification)  # bound to the terminal
    # bound to a short expiry: five minutes on the platform's clock
    assert platform.server is not None
    later = time.time() + 301
    assert platform.server.storage.verified_resident(verification, "KIOSK-HALL-0002") == _HASH
    assert platform.server.storage.verified_resident(verification, "KIOSK-HALL-0002", later) is None
    hall.forget_verifications()
    refused(hall, DEMO_ID_NUMBER)


def test_the_profile_is_given_only_for_the_resident_verified_at_that_terminal(hall, village):
    def refused(client: PlatformClient, number: str, verification: str | None = None) -> None:
        with pytest.raises(PlatformRejected) as info:
            client.profile(number, verification_id=verification)
        assert (info.value.status, info.value.code) == (403, "verification_required")

    hall.forget_verifications()
    refused(hall, DEMO_ID_NUMBER)  # nobody verified yet
    refused(hall, UNKNOWN_RESIDENT)  # the very same answer: no probing who exists
    verification = hall.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())[
        "verification_id"]  # fmt: skip
    assert hall.profile(DEMO_ID_NUMBER).phone == "13800000901"  # residents.json, invented
    refused(hall, OTHER_RESIDENT, verification)  # bound to the resident
    refused(village, DEMO_ID_NUMBER, verification)  # bound to the terminal
    hall.forget_verifications()


def test_verification_answers_alike_for_unknown_invalid_and_known_residents(hall):
    answers = [
        hall.verify_identity(id_number=number, face_jpeg=demo_jpeg(face=face))
        for number, face in ((UNKNOWN_RESIDENT, True), ("110101199001019010", True),
                             (DEMO_ID_NUMBER, False), (UNKNOWN_RESIDENT, False))
    ]  # fmt: skip
    assert [(a["verified"], a["reason"], a["resident"]) for a in answers] == [
        (False, "not_verified", None),  # unknown
        (False, "not_verified", None),  # bad check digit
        (False, "no_face", None),  # a resident who exists, no face: same as for nobody
        (False, "no_face", None),
    ]


def test_face_check_refuses_a_frame_without_one_clear_face(hall):
    import cv2
    import numpy as np

    black = cv2.imencode(".jpg", np.zeros((96, 96, 3), np.uint8))[1].tobytes()
    assert hall.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=black)["reason"] == "no_face"
    from kiosk.devices.camera.synthetic import faces_frame

    two = cv2.imencode(".jpg", faces_frame([(180, 240), (460, 240)], size=220))[1].tobytes()
    assert hall.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=two)["reason"] == (
        "several_faces"
    )


def test_progress_is_scoped_to_the_submitting_terminal_or_the_verified_resident(
    platform, hall, village
):
    item = make_item(platform.public_key_path, local_ref="KIOSK-HALL-0002-20261201-000001",
                     display={"service_code": "SB002", "masked_name": "测*一"})  # fmt: skip
    reference = hall.submit_batch([item])[0]["reference"]
    assert hall.progress(reference)["status"] == "received"
    assert hall.progress("KIOSK-HALL-0002-20261201-000001")["reference"] == reference
    for asked in (reference, "KIOSK-HALL-0002-20261201-000001"):
        with pytest.raises(PlatformNotFound):  # the same answer as for no such reference
            village.progress(asked)
    # the resident, verified at the other terminal, may see their own application there
    verified = village.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())
    seen = village.progress(reference, verification_id=verified["verification_id"])
    assert seen["reference"] == reference
    other = village.verify_identity(id_number=OTHER_RESIDENT, face_jpeg=demo_jpeg())
    with pytest.raises(PlatformNotFound):
        village.progress(reference, verification_id=other["verification_id"])


def test_references_carry_a_random_part(platform, hall):
    items = [make_item(platform.public_key_path, seq=i) for i in range(6)]
    references = [r["reference"] for r in hall.submit_batch(items)]
    tails = [ref[-6:] for ref in references]
    counters = [int(ref[10:-6]) for ref in references]
    assert counters == list(range(counters[0], counters[0] + 6))  # still ordered and unique
    assert len(set(tails)) >= 5  # but the next one cannot be guessed from the last


def test_the_database_keeps_no_secret_or_id_number_in_clear(platform, hall):
    assert platform.server is not None
    token = platform.server.new_qr_token(DEMO_ID_NUMBER)
    assert token is not None
    verified = hall.verify_identity(qr_token=token["token"])
    assert verified["verified"]
    db = sqlite3.connect(platform.data_dir / "platform.sqlite3")
    dump = "\n".join(db.iterdump())
    db.close()
    for secret in (token["token"], verified["verification_id"], DEMO_ID_NUMBER,
                   DEMO_TERMINAL_SECRET):  # fmt: skip
        assert secret not in dump
    assert "CREATE TABLE" in dump and "KIOSK-HALL-0002" in dump  # the dump is the real thing


def test_server_data_dir_and_private_key_are_private(tmp_path):
    from kiosk.platform.server.app import PlatformServer

    before = os.umask(0o022)  # a login shell's umask: the server must not rely on a better one
    try:
        server = PlatformServer(tmp_path / "platform")
    finally:
        os.umask(before)
    server.close()
    assert (tmp_path / "platform").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "platform" / "platform_x25519.key").stat().st_mode & 0o777 == 0o600


def test_deep_json_and_huge_jpeg_headers_get_documented_errors(hall):
    deep = b"[" * 100_000 + b"]" * 100_000
    for body in (deep, b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                 b'{"version": "x", "devices": ' + b"[" * 600 + b"]" * 600 + b"}"):  # fmt: skip
        path = "/v1/heartbeat" if b"version" in body else "/v1/outbox/batch"
        headers = sign_request(hall._secret, hall.terminal_id, "POST", path, body)
        reply = httpx.post(hall.base_url + path, content=body, headers=headers, timeout=30)
        assert (reply.status_code, reply.json()["error"]) == (400, "bad_json")
    # A baseline JPEG header that claims 65000 x 65000 pixels: refused from the header alone.
    bomb = _jpeg_with_size(65000, 65000)
    result = hall.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=bomb)
    assert (result["verified"], result["reason"]) == (False, "image_too_large")
    big = _jpeg_with_size(12000, 12000)
    result = hall.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=big)
    assert result["reason"] == "image_too_large"


def _jpeg_with_size(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF0 header is rewritten to claim width x height."""
    import cv2
    import numpy as np

    raw = bytearray(cv2.imencode(".jpg", np.full((120, 120, 3), 128, np.uint8))[1].tobytes())
    at = raw.index(b"\xff\xc0")
    raw[at + 5 : at + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    assert base64.b64encode(bytes(raw))
    return bytes(raw)


def test_admin_commands_need_the_admin_token_and_a_known_terminal(platform, hall):
    body = {"terminal_id": "KIOSK-HALL-0002", "command": "lock"}
    url = platform.base_url + "/_admin/commands"
    # from loopback, without a credential: refused (the peer address is no credential)
    assert httpx.post(url, json=body, timeout=10).status_code == 401
    unknown = httpx.post(url, json={**body, "terminal_id": "KIOSK-NOBODY-9"},
                         headers=platform.admin_headers, timeout=10)  # fmt: skip
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_terminal")
    demo = httpx.post(url, json={**body, "terminal_id": DEMO_TERMINAL_ID},
                      headers=platform.admin_headers, timeout=10)  # fmt: skip
    assert demo.status_code == 404  # not a terminal of this (non-demo) platform
    known = httpx.post(url, json=body, headers=platform.admin_headers, timeout=10)
    assert known.status_code == 200
    assert [c["command"] for c in hall.heartbeat("1.0")["commands"]] == ["lock"]
