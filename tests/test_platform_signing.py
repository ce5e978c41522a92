"""Request signing: the server on loopback refuses tampered, stale and replayed requests."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.errors import PlatformAuthError
from kiosk.platform.signing import SignatureError, sign_request, verify_request

SECRET = EmbeddedPlatform.terminal_secret
TERMINAL = EmbeddedPlatform.terminal_id


def _post(platform, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(platform.base_url + path, content=body,
                      headers={**headers, "Content-Type": "application/json"}, timeout=5)  # fmt: skip


BODY = json.dumps({"version": "test", "outbox_depth": 0}).encode()


def test_signed_request_is_accepted(platform):
    headers = sign_request(SECRET, TERMINAL, "POST", "/v1/heartbeat", BODY)
    assert _post(platform, "/v1/heartbeat", BODY, headers).status_code == 200


def test_tampered_body_is_refused(platform):
    headers = sign_request(SECRET, TERMINAL, "POST", "/v1/heartbeat", BODY)
    tampered = BODY.replace(b'"outbox_depth": 0', b'"outbox_depth": 9')
    response = _post(platform, "/v1/heartbeat", tampered, headers)
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"


def test_signature_covers_path_and_query(platform):
    path = "/v1/residents/" + "0" * 64 + "/records/social_insurance?months=12"
    headers = sign_request(SECRET, TERMINAL, "GET", path)
    other = path.replace("months=12", "months=24")
    response = httpx.get(platform.base_url + other, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"


def test_wrong_secret_and_unknown_terminal_are_refused(platform):
    for secret, terminal in (("not-the-secret", TERMINAL), (SECRET, "KIOSK-NOBODY")):
        headers = sign_request(secret, terminal, "POST", "/v1/heartbeat", BODY)
        response = _post(platform, "/v1/heartbeat", BODY, headers)
        assert (response.status_code, response.json()["error"]) == (401, "bad_signature")


def test_missing_headers_are_refused(platform):
    response = _post(platform, "/v1/heartbeat", BODY, {})
    assert (response.status_code, response.json()["error"]) == (401, "bad_signature")


# Just past the 300 s window: the header carries whole seconds, so one second of margin
# (301) could truncate back inside the window on a slow run; two cannot.
@pytest.mark.parametrize("skew", [-302, 302, -3600])
def test_stale_timestamp_is_refused(platform, skew):
    headers = sign_request(SECRET, TERMINAL, "POST", "/v1/heartbeat", BODY, now=time.time() + skew)
    response = _post(platform, "/v1/heartbeat", BODY, headers)
    assert (response.status_code, response.json()["error"]) == (401, "stale_timestamp")


def test_small_skew_is_accepted(platform):
    headers = sign_request(SECRET, TERMINAL, "POST", "/v1/heartbeat", BODY, now=time.time() - 250)
    assert _post(platform, "/v1/heartbeat", BODY, headers).status_code == 200


def test_replayed_request_is_refused(platform):
    headers = sign_request(SECRET, TERMINAL, "POST", "/v1/heartbeat", BODY)
    assert _post(platform, "/v1/heartbeat", BODY, headers).status_code == 200
    again = _post(platform, "/v1/heartbeat", BODY, headers)
    assert (again.status_code, again.json()["error"]) == (401, "replayed")


def test_nonce_cache_survives_a_restart(tmp_path):
    headers = sign_request(SECRET, TERMINAL, "POST", "/v1/heartbeat", BODY)
    with EmbeddedPlatform(tmp_path) as first:
        assert _post(first, "/v1/heartbeat", BODY, headers).status_code == 200
    with EmbeddedPlatform(tmp_path) as second:
        again = _post(second, "/v1/heartbeat", BODY, headers)
    assert (again.status_code, again.json()["error"]) == (401, "replayed")


def test_client_reports_auth_errors_as_typed(platform):
    with (
        PlatformClient(platform.base_url, TERMINAL, "wrong-secret") as client,
        pytest.raises(PlatformAuthError) as info,
    ):
        client.heartbeat("test")
    assert info.value.code == "bad_signature"


def test_verify_request_expires_nonces_only_after_the_window():
    seen: dict[str, float] = {}

    def remember(terminal: str, nonce: str, now: float) -> bool:
        if nonce in seen:
            return False
        seen[nonce] = now
        return True

    now = 1_800_000_000
    headers = sign_request("s", "T", "GET", "/v1/catalog", b"", now=now)
    assert (
        verify_request(headers, "GET", "/v1/catalog", b"", lambda t: "s", remember, now=now) == "T"
    )
    with pytest.raises(SignatureError) as info:
        verify_request(headers, "GET", "/v1/catalog", b"", lambda t: "s", remember, now=now + 1)
    assert info.value.code == "replayed"
    with pytest.raises(SignatureError) as info:
        verify_request(headers, "GET", "/v1/catalog", b"", lambda t: "s", remember, now=now + 400)
    assert info.value.code == "stale_timestamp"
