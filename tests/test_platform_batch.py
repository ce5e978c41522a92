"""Outbox batches, catalog ETag and the other endpoints, against the server on loopback."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.errors import PlatformBadResponse, PlatformNotFound, PlatformRejected
from kiosk.platform.signing import Ed25519Signer, public_key_b64, sign_request
from kiosk.platform.testing import DEMO_ID_NUMBER, demo_jpeg, make_item

TERMINAL = "KIOSK-TEST-0007"


@pytest.fixture(scope="module")
def signer(platform):
    """An enrolled terminal: its Ed25519 public key is all the platform keeps."""
    key = Ed25519PrivateKey.generate()
    platform.server.storage.enroll(TERMINAL, public_key_b64(key.public_key()))
    return Ed25519Signer(key)


@pytest.fixture
def client(platform, signer):
    with PlatformClient(platform.base_url, TERMINAL, signer) as c:
        yield c


def test_batch_accepts_new_items_with_references_in_order(platform, client):
    items = [make_item(platform.public_key_path, seq=i) for i in range(5)]
    results = client.submit_batch(items)
    assert [r["key"] for r in results] == [i["key"] for i in items]
    assert {r["status"] for r in results} == {"accepted"}
    references = [r["reference"] for r in results]
    assert len(set(references)) == 5 and all(ref.startswith("ZW") for ref in references)


def test_duplicate_returns_the_first_reference(platform, client):
    items = [make_item(platform.public_key_path, seq=i) for i in range(3)]
    first = client.submit_batch(items)
    again = client.submit_batch([{**i, "attempt": 1} for i in items])
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert [r["reference"] for r in again] == [r["reference"] for r in first]
    assert [r["first_seen_at"] for r in again] == [r["first_seen_at"] for r in first]


def test_partially_applied_batch_resend_is_harmless(platform, client):
    old = make_item(platform.public_key_path, seq=1)
    first = client.submit_batch([old])[0]
    new = make_item(platform.public_key_path, seq=2)
    results = client.submit_batch([old, new, old])
    assert [r["status"] for r in results] == ["duplicate", "accepted", "duplicate"]
    assert results[0]["reference"] == results[2]["reference"] == first["reference"]


def test_rejected_items_keep_their_reason_and_order(platform, client):
    good = make_item(platform.public_key_path, seq=1)
    bad_id = make_item(platform.public_key_path, seq=2, payload={"id_number": "110101199001019010"})
    wrong_key = make_item(platform.public_key_path, seq=3)
    wrong_key["key"] = str(uuid.uuid4())  # the blob was bound to another key
    unsealed = make_item(None, seq=4)
    rating = make_item(None, kind="rating", seq=5)
    results = client.submit_batch([good, bad_id, wrong_key, unsealed, rating])
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("accepted", None),
        ("rejected", "invalid_id_number"),
        ("rejected", "cannot_open_sealed"),
        ("rejected", "missing_sealed"),
        ("accepted", None),
    ]
    again = client.submit_batch([bad_id])  # a rejected key is remembered: same answer
    assert (again[0]["status"], again[0]["reason"]) == ("rejected", "invalid_id_number")


def test_idempotency_survives_a_server_restart(tmp_path):
    with EmbeddedPlatform(tmp_path) as first:
        items = [make_item(first.public_key_path, seq=i) for i in range(3)]
        with PlatformClient(first.base_url, first.terminal_id, first.terminal_secret) as c:
            before = c.submit_batch(items)
    with (
        EmbeddedPlatform(tmp_path) as second,
        PlatformClient(second.base_url, second.terminal_id, second.terminal_secret) as c,
    ):
        after = c.submit_batch(items)
        fresh = c.submit_batch([make_item(second.public_key_path, seq=9)])
    assert [r["status"] for r in after] == ["duplicate"] * 3
    assert [r["reference"] for r in after] == [r["reference"] for r in before]
    assert fresh[0]["reference"] not in {r["reference"] for r in before}


def _signed_post(platform, path: str, body: bytes) -> httpx.Response:
    headers = sign_request(platform.terminal_secret, platform.terminal_id, "POST", path, body)
    return httpx.post(platform.base_url + path, content=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "bad_json"),
        ('{"items": ["\xff"]}'.encode("latin-1"), 400, "bad_json"),
        (b"[]", 422, "invalid_request"),
        (b'{"items": [{"key": "not-a-uuid"}]}', 422, "invalid_request"),
        (b'{"items": 5}', 422, "invalid_request"),
    ],
)
def test_malformed_batch_gets_a_reason_not_a_500(platform, body, status, error):
    response = _signed_post(platform, "/v1/outbox/batch", body)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["reason"]


def test_batch_over_limits_is_413(platform):
    item = make_item(None, kind="rating")
    items = [{**item, "key": str(uuid.uuid4())} for _ in range(1001)]
    response = _signed_post(platform, "/v1/outbox/batch", json.dumps({"items": items}).encode())
    assert (response.status_code, response.json()["error"]) == (413, "batch_too_large")
    huge = json.dumps({"items": [], "pad": "x" * (8 * 1024 * 1024)}).encode()
    response = _signed_post(platform, "/v1/outbox/batch", huge)
    assert (response.status_code, response.json()["error"]) == (413, "body_too_large")


def test_invalid_item_is_rejected_by_the_client_as_typed_error(platform, client):
    with pytest.raises(PlatformRejected) as info:
        client.submit_batch([{"key": "x"}])
    assert info.value.status == 422


def test_catalog_etag_round_trip(client):
    catalog, etag = client.catalog()
    assert catalog is not None and etag
    assert len(catalog["services"]) >= 30
    unchanged, same = client.catalog(etag)
    assert unchanged is None and same == etag
    refreshed, again = client.catalog('"some-old-etag"')
    assert refreshed == catalog and again == etag


def test_identity_by_face_jpeg(client):
    ok = client.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())
    assert ok["verified"] and ok["resident"]["masked_name"] == "测*一"
    assert (
        client.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg(40, 40))["reason"]
        == "face_too_small"
    )
    assert (
        client.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg(fmt="PNG"))["reason"]
        == "not_jpeg"
    )
    unknown = client.verify_identity(id_number="110101198001010010", face_jpeg=demo_jpeg())
    assert (unknown["verified"], unknown["reason"]) == (False, "not_verified")
    bad = client.verify_identity(id_number="110101199001019010", face_jpeg=demo_jpeg())
    assert (bad["verified"], bad["reason"]) == (False, "not_verified")


def test_identity_by_one_time_qr_token(platform, client):
    token = platform.server.new_qr_token(DEMO_ID_NUMBER)["token"]
    first = client.verify_identity(qr_token=token)
    assert first["verified"] and first["resident"]["id_number"] == DEMO_ID_NUMBER
    second = client.verify_identity(qr_token=token)
    assert (second["verified"], second["reason"]) == (False, "token_already_used")
    assert client.verify_identity(qr_token="KQR1-forged")["reason"] == "unknown_token"
    assert platform.server.new_qr_token("110101198001010010") is None


def test_social_insurance_record_for_demo_resident(client):
    assert client.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())["verified"]
    record = client.record(DEMO_ID_NUMBER, "social_insurance", months=6)
    assert record["title_zh"] == "社会保险个人参保证明"
    assert len(record["rows"]) == 6 and record["masked_id_number"] == "1101**********901X"
    assert {c["key"] for c in record["columns"]} >= {"period", "pension", "base"}
    assert DEMO_ID_NUMBER not in json.dumps(record)
    with pytest.raises(PlatformRejected) as refused:
        client.record("110101198001010010", "social_insurance")
    assert (refused.value.status, refused.value.code) == (403, "verification_required")


def test_progress_by_reference_and_by_local_ref(platform, client):
    item = make_item(platform.public_key_path, seq=7, local_ref="KIOSK-DEMO-0001-20261122-000777",
                     display={"service_code": "YB002", "masked_name": "测*一"})  # fmt: skip
    reference = client.submit_batch([item])[0]["reference"]
    by_ref = client.progress(reference)
    by_local = client.progress("KIOSK-DEMO-0001-20261122-000777")
    assert by_ref == by_local
    assert by_ref["status"] == "received" and by_ref["service_name"] == "异地就医备案"
    with pytest.raises(PlatformNotFound):
        client.progress("ZW2000010100000000")


def test_queue_tickets_count_up(client):
    first = client.issue_ticket("GJJ001")
    second = client.issue_ticket("GJJ002")
    assert (
        first["ticket_no"][0] == "C"
        and int(second["ticket_no"][1:]) == int(first["ticket_no"][1:]) + 1
    )
    assert second["waiting_ahead"] >= first["waiting_ahead"] + 1
    with pytest.raises(PlatformNotFound):
        client.issue_ticket("NOPE")


def test_heartbeat_delivers_commands_until_acknowledged(platform, client):
    from kiosk.cli import main

    assert (
        main(
            [
                "platform",
                "command",
                TERMINAL,
                "lock",
                "--data-dir",
                str(platform.data_dir),
            ]
        )
        == 0
    )
    reply = client.heartbeat("0.1.0", [{"device": "printer", "state": "online"}], outbox_depth=2)
    commands = [c for c in reply["commands"] if c["command"] == "lock"]
    assert commands
    again = client.heartbeat("0.1.0", acked_commands=[c["id"] for c in reply["commands"]])
    assert again["commands"] == []
    status = platform.server.storage.terminal_status(TERMINAL)
    assert status["last_heartbeat"]["outbox_depth"] == 0


def test_client_never_accepts_mismatched_batch_results():
    """A platform answering results for other keys is a bad response, not a success."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Liar(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"results": [{"key": "other", "status": "accepted",
                                            "first_seen_at": "x"}]}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with PlatformClient(url, "T", "s") as c, pytest.raises(PlatformBadResponse):
            c.submit_batch([make_item(None, kind="rating")])
    finally:
        server.shutdown()
        server.server_close()
