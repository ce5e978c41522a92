"""The reference server on PostgreSQL: the same idempotency, nonce and command behaviour.

The fixture starts a throwaway PostgreSQL cluster (initdb + pg_ctl, about a second) and
fails loudly if the PostgreSQL server binaries are not installed.
"""

from __future__ import annotations

import time

import httpx
import pytest

from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.pgcluster import NoPostgres, throwaway_postgres
from kiosk.platform.signing import sign_request
from kiosk.platform.testing import make_item


@pytest.fixture(scope="module")
def database_url():
    try:
        with throwaway_postgres(fsync=False) as url:
            yield url
    except NoPostgres as exc:
        pytest.fail(str(exc))


def test_batches_commands_and_nonces_on_postgres(tmp_path, database_url):
    body = b'{"version": "pg"}'
    replay = sign_request(EmbeddedPlatform.terminal_secret, EmbeddedPlatform.terminal_id,
                          "POST", "/v1/heartbeat", body, now=time.time())  # fmt: skip
    with EmbeddedPlatform(tmp_path, database_url=database_url) as first:
        assert first.server.storage.dialect == "postgresql"
        items = [make_item(first.public_key_path, seq=i) for i in range(4)]
        bad = make_item(first.public_key_path, seq=9, payload={"id_number": "110101199001019010"})
        with PlatformClient(first.base_url, first.terminal_id, first.terminal_secret) as c:
            before = c.submit_batch([*items, bad])
            first.server.storage.queue_command(first.terminal_id, "refresh_catalog")
            assert [x["command"] for x in c.heartbeat("pg")["commands"]] == ["refresh_catalog"]
            assert c.issue_ticket("HJ001")["ticket_no"].startswith("D")
        assert (
            httpx.post(first.base_url + "/v1/heartbeat", content=body, headers=replay).status_code
            == 200
        )
    with EmbeddedPlatform(tmp_path, database_url=database_url) as second:
        with PlatformClient(second.base_url, second.terminal_id, second.terminal_secret) as c:
            after = c.submit_batch([*items, bad])
            progress = c.progress(before[0]["reference"])
        again = httpx.post(second.base_url + "/v1/heartbeat", content=body, headers=replay)
    assert [r["status"] for r in before] == ["accepted"] * 4 + ["rejected"]
    assert [r["status"] for r in after] == ["duplicate"] * 4 + ["rejected"]
    assert [r.get("reference") for r in after] == [r.get("reference") for r in before]
    assert progress["status"] == "received"
    assert again.json()["error"] == "replayed"
