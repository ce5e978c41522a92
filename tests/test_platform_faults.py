"""Each fault mode of the reference server reaches the client as the right typed error."""

from __future__ import annotations

import random

import httpx
import pytest

from kiosk.platform.client import PlatformClient
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.platform.errors import PlatformBadResponse, PlatformUnavailable
from kiosk.platform.server.faults import Fault
from kiosk.platform.testing import make_item


@pytest.fixture
def client(platform):
    platform.faults.clear()
    with PlatformClient(
        platform.base_url, platform.terminal_id, platform.terminal_secret, timeout=2
    ) as c:
        yield c
    platform.faults.clear()


def test_error_mode_is_unavailable_with_status(platform, client):
    platform.faults.add(Fault("error", count=1, status=502))
    with pytest.raises(PlatformUnavailable) as info:
        client.heartbeat("t")
    assert info.value.status == 502
    assert client.heartbeat("t")["commands"] == []  # the next request is served again


def test_rate_limit_carries_retry_after(platform, client):
    platform.faults.add(Fault("rate_limit", count=1, seconds=7))
    with pytest.raises(PlatformUnavailable) as info:
        client.catalog()
    assert (info.value.status, info.value.retry_after) == (429, 7.0)


def test_dropped_connection_is_a_network_error_after_the_batch_was_applied(platform, client):
    items = [make_item(platform.public_key_path, seq=i) for i in range(3)]
    platform.faults.add(Fault("drop", count=1, path_prefix="/v1/outbox"))
    with pytest.raises(PlatformUnavailable) as info:
        client.submit_batch(items)
    assert "network error" in info.value.reason and info.value.status is None
    # The acknowledgement was lost, not the items: the resend gets duplicates.
    assert [r["status"] for r in client.submit_batch(items)] == ["duplicate"] * 3


def test_dropped_connection_is_real_on_the_wire(platform):
    """Without our client: plain httpx sees the socket close mid-body."""
    platform.faults.add(Fault("drop", count=1, path_prefix="/v1/health"))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(platform.base_url + "/v1/health", timeout=5)
    assert httpx.get(platform.base_url + "/v1/health", timeout=5).status_code == 200


@pytest.mark.parametrize("mode", ["malformed", "schema"])
def test_garbage_bodies_are_bad_responses(platform, client, mode):
    platform.faults.add(Fault(mode, count=3))
    with pytest.raises(PlatformBadResponse):
        client.submit_batch([make_item(None, kind="rating")])
    with pytest.raises(PlatformBadResponse):
        client.catalog()
    with pytest.raises(PlatformBadResponse):
        client.record("11010119900101901X", "housing_fund")


def test_latency_beyond_the_client_timeout_is_unavailable(platform):
    platform.faults.add(Fault("latency", count=1, seconds=1))
    with PlatformClient(
        platform.base_url, platform.terminal_id, platform.terminal_secret, timeout=0.3
    ) as c:
        with pytest.raises(PlatformUnavailable) as info:
            c.heartbeat("t")
        assert "timeout" in info.value.reason
        assert c.heartbeat("t")["commands"] == []  # served again once the fault is used up


def test_probability_and_count(platform):
    platform.faults.rng = random.Random(7)
    health = platform.base_url + "/v1/health"
    with httpx.Client(timeout=5) as http:
        platform.faults.add(Fault("error", probability=0.0))
        assert http.get(health).status_code == 200
        platform.faults.clear()
        platform.faults.add(Fault("error", probability=0.5, count=1000))
        statuses = [http.get(health).status_code for _ in range(40)]
        assert 0 < statuses.count(503) < 40 and set(statuses) == {200, 503}
        platform.faults.clear()
        platform.faults.add(Fault("error", count=2))
        assert [http.get(health).status_code for _ in range(4)] == [503, 503, 200, 200]


def test_admin_endpoint_sets_and_clears_faults_at_runtime(platform, client):
    admin = platform.base_url + "/_admin/faults"
    reply = httpx.post(
        admin,
        json={"mode": "rate_limit", "count": 1, "seconds": 2},
        timeout=5,
        headers=platform.admin_headers,
    )
    assert reply.status_code == 200 and reply.json()["faults"][0]["mode"] == "rate_limit"
    with pytest.raises(PlatformUnavailable) as info:
        client.heartbeat("t")
    assert info.value.retry_after == 2.0
    httpx.post(admin, json=[{"mode": "error"}], timeout=5, headers=platform.admin_headers)
    assert httpx.delete(admin, timeout=5, headers=platform.admin_headers).json() == {"faults": []}
    assert client.heartbeat("t")["commands"] == []
    bad = httpx.post(admin, json={"mode": "explode"}, timeout=5, headers=platform.admin_headers)
    assert httpx.delete(admin, timeout=5).status_code == 401  # loopback is no credential
    assert bad.status_code == 422 and "unknown fault mode" in bad.json()["reason"]


def test_fault_specs_from_the_command_line():
    assert Fault.parse("drop:n=2") == Fault("drop", count=2)
    assert Fault.parse("5xx:p=0.2,status=502") == Fault("error", probability=0.2, status=502)
    assert Fault.parse("429:seconds=3,path=/v1/outbox") == Fault(
        "rate_limit", seconds=3, path_prefix="/v1/outbox"
    )
    for bad in ("boom", "drop:n=x", "5xx:status=404", "latency:wat=1"):
        with pytest.raises(ValueError):
            Fault.parse(bad)


def test_faults_at_start(tmp_path):
    with EmbeddedPlatform(tmp_path, faults=[Fault("error", count=1)]) as p:
        assert httpx.get(p.base_url + "/v1/health", timeout=5).status_code == 503
        assert httpx.get(p.base_url + "/v1/health", timeout=5).status_code == 200


def test_connection_refused_is_unavailable():
    with (
        PlatformClient("http://127.0.0.1:9", "T", "s", timeout=2) as c,
        pytest.raises(PlatformUnavailable),
    ):
        c.heartbeat("t")
