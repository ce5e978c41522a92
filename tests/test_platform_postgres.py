"""The reference server on PostgreSQL: the same idempotency, nonce and command behaviour.

The fixture starts a throwaway PostgreSQL cluster (initdb + pg_ctl, about a second) and
fails loudly if the PostgreSQL server binaries are not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.signing import sign_request
from kiosk.platform.testing import make_item


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        pytest.fail(f"PostgreSQL server binary {name!r} not found (apt-get install postgresql)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database_url():
    # Not under pytest's tmp dir: that is 0700 root, which the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    subprocess.run([*as_user, _bin("initdb"), "-D", str(data), "-A", "trust", "-U", "kiosk",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=60)  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(data), "-o", options, "-l",
                    str(root / "log"), "-w", "-t", "30", "start"], check=True, capture_output=True, timeout=60)  # fmt: skip
    try:
        yield f"postgresql://kiosk@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=30)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


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
