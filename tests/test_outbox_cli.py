"""`kiosk outbox ...` as a technician runs it over SSH: a real process, real files, real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.offline.outbox import Outbox, new_transaction_key
from tests.outbox_helpers import FAKE_ID, FAKE_NAME, platform_public_key, reference_platform


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), "outbox", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def setup(tmp_path: Path):
    with reference_platform(tmp_path / "platform") as platform:
        config = tmp_path / "kiosk.toml"
        config.write_text(
            f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n'
            f'[platform]\nmode = "remote"\nurl = "{platform.base_url}"\n'
        )
        box = Outbox.open(tmp_path / "data" / "outbox.sqlite3", platform_public_key(platform))
        receipts = [
            box.enqueue(
                new_transaction_key(),
                "application",
                "r1",
                {"masked_name": "欧**试"},
                {"name": FAKE_NAME, "id_number": number},
            )
            for number in (FAKE_ID, "110105199003071230", FAKE_ID)  # the middle one is refused
        ]
        box.close()
        yield config, receipts


def test_status_sync_dead_letters_and_lookup(setup):
    config, receipts = setup
    status = kiosk(config, "status", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["depth"] == 3 and data["dead_letters"] == 0 and data["last_sync_result"] is None

    done = kiosk(config, "sync")
    assert done.returncode == 0, done.stderr
    assert "3/3" in done.stderr and "[##" in done.stderr  # the progress bar
    assert "delivered 2" in done.stdout and "refused 1" in done.stdout

    human = kiosk(config, "status")
    assert "queued items    0" in human.stdout and "dead letters    1" in human.stdout
    assert "last sync       ok" in human.stdout

    listed = json.loads(kiosk(config, "dead-letters", "--json").stdout)
    assert [d["key"] for d in listed] == [receipts[1].key]
    assert listed[0]["reason"] == "invalid_id_number"

    refused = kiosk(config, "dead-letters", "discard", receipts[1].key)
    assert refused.returncode == 1 and "--reason" in refused.stderr
    ok = kiosk(
        config, "dead-letters", "discard", receipts[1].key, "--reason", "resident re-applied"
    )
    assert ok.returncode == 0 and "audit" in ok.stdout
    assert "no dead letters" in kiosk(config, "dead-letters").stdout

    found = json.loads(kiosk(config, "lookup", receipts[0].local_ref, "--json").stdout)
    assert found["state"] == "delivered" and found["reference"].startswith("ZW")
    gone = kiosk(config, "lookup", receipts[1].local_ref)
    assert "discarded" in gone.stdout and "resident re-applied" in gone.stdout
    unknown = kiosk(config, "lookup", "KIOSK-DEMO-0001-20200101-999999")
    assert unknown.returncode == 1 and "not known" in unknown.stderr


def test_sync_with_the_platform_down_says_so_and_keeps_items(setup, tmp_path: Path):
    config, _ = setup
    config.write_text(
        f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n'
        '[platform]\nmode = "remote"\nurl = "http://127.0.0.1:9"\ntimeout_s = 2\n'
    )
    done = kiosk(config, "sync")
    assert done.returncode == 1 and "stay queued" in done.stderr
    assert json.loads(kiosk(config, "status", "--json").stdout)["depth"] == 3
