"""The app's platform services: built-in mode starts the server, client, outbox and sync."""

from __future__ import annotations

import uuid

import pytest

from kiosk.config import KioskConfig
from kiosk.platform.wiring import start_platform_services
from kiosk.services import Services


@pytest.fixture
def services(tmp_path):
    config = KioskConfig.model_validate(
        {
            "terminal": {"id": "KIOSK-TEST-0042", "data_dir": str(tmp_path)},
            "platform": {"terminal_secret": "a-test-secret"},
        }  # fmt: skip
    )
    svc = Services(config)
    yield svc
    svc.stop()


def test_builtin_mode_runs_end_to_end(services):
    start_platform_services(services)
    assert services._embedded is not None
    assert services.platform.health()["status"] == "ok"
    catalog, etag = services.platform.catalog()
    assert catalog and etag
    key = str(uuid.uuid4())
    services.outbox.enqueue(key, "application", "session-1", {"service_code": "SB002"},
                            {"id_number": "11010119900101901X"})  # fmt: skip
    assert services.sync.wait_delivered(key, timeout=20) is not None
    progress = services.platform.progress(services.outbox.reference_for(key))
    assert progress["service_name"] == "社会保障卡补换领"


def test_remote_mode_uses_the_configured_url(tmp_path):
    from kiosk.platform.embedded import EmbeddedPlatform

    with EmbeddedPlatform(tmp_path / "remote") as remote:
        config = KioskConfig.model_validate({
            "terminal": {"data_dir": str(tmp_path / "kiosk")},
            "platform": {"mode": "remote", "url": remote.base_url},
        })  # fmt: skip
        svc = Services(config)
        try:
            start_platform_services(svc)
            assert svc._embedded is None
            assert svc.platform.issue_ticket("SB001")["ticket_no"].startswith("A")
            assert (
                tmp_path / "kiosk" / "platform_x25519.pub"
            ).read_text() == remote.public_key_path.read_text()
        finally:
            svc.stop()
