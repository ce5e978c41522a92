"""The load generator at CI size: real server processes on a throwaway PostgreSQL, signed
heartbeats, applications, ratings and identity checks, and the console timed at the end.
The full run (20,000 terminals) is `kiosk platform load` / `kiosk bench platform`."""

from __future__ import annotations

import pytest

from kiosk.platform.load import Rates, check_bounds, check_loopback, measure


def test_a_small_fleet_runs_without_errors_and_the_console_answers(tmp_path):
    reports, timing = measure([60], 0.15, rates=Rates(submissions=20, ratings=20, identity=5),
                              data_dir=tmp_path, stop_at_failure=False)  # fmt: skip
    (report,) = reports
    assert report.errors == {}, report.error_samples
    assert report.requests["heartbeat"] >= 8  # 60 terminals, one beat a minute each, 9 s
    for kind in ("submission", "rating", "identity", "health"):
        assert report.requests.get(kind, 0) > 0, kind
    assert timing.list_ms > 0 and timing.health_ms > 0
    # ratings of 4/5 (GB codes) opened work orders in the shared database
    logs = [p.read_text() for p in tmp_path.glob("server-*.log")]
    assert not any("Traceback" in text for text in logs)


def test_the_generator_stays_bounded_and_on_loopback():
    for bad in ("http://10.0.0.5:8700", "https://127.0.0.1:8700", "http://example.org"):
        with pytest.raises(ValueError):
            check_loopback(bad)
    assert check_loopback("http://127.0.0.1:8700") == ("127.0.0.1", 8700)
    for terminals, minutes in ((0, 1), (50_001, 1), (10, 0), (10, 31)):
        with pytest.raises(ValueError):
            check_bounds(terminals, minutes)
