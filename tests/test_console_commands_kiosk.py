"""Remote commands a running kiosk carries out through its heartbeat: a diagnostics bundle
that reaches the console, and a restart that waits for its acknowledgement to be delivered."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from pathlib import Path

from kiosk.app import KioskApp
from kiosk.platform.heartbeat import HeartbeatWorker
from tests.conftest import MakeApp, config_for, wait_until


async def test_diagnostics_bundle_and_restart_through_the_heartbeat(
    tmp_path: Path, make_app: MakeApp
) -> None:
    app = make_app(config_for(tmp_path, on=("printer", "a4printer", "doccam"),
                              KIOSK_TERMINAL__REGION='"440204"'))  # 韶关市浈江区  # fmt: skip
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.heartbeat is not None)
        await wait_until(pilot, lambda: app.services.heartbeat.last_ok_at is not None)
        console = app.services._embedded.server.console
        tid = app.config.terminal.id
        heartbeat = HeartbeatWorker(app.services, app.services.platform, 3600)  # on demand

        printer = app.services.device("printer")
        await wait_until(pilot, lambda: printer.health().details.get("status_bytes"))
        first = console.fleet.command(tid, "collect_diagnostics", "", "op-test", 0.0)
        assert heartbeat.beat() == ["collect_diagnostics"]
        heartbeat.beat()  # the result and the bundle go back
        (row,) = [c for c in console.fleet.commands(tid) if c.id == first]
        terminal_row = console.fleet.terminal(tid)
        assert terminal_row is not None and terminal_row.region == "440204"
        assert row.ok and row.has_bundle and "devices online" in row.result
        raw = base64.b64decode(console.fleet.bundle(tid, first) or "")
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            files = {Path(m.name).name: tar.extractfile(m) for m in tar.getmembers()}
            assert {"config.json", "versions.json", "devices.json", "recent.log"} <= set(files)
            parts = {name: f.read() for name, f in files.items() if f is not None}
        saved = json.loads(parts["config.json"])
        printer = next(d for d in json.loads(parts["devices.json"]) if d["device"] == "printer")
        assert saved["staff"]["pin_hash"] == "<redacted>"
        assert saved["platform"]["terminal_secret"] == "<redacted>"
        assert printer["details"]["status_bytes"]  # raw DLE EOT answers

        console.fleet.command(tid, "restart", "", "op-test", 0.0)
        assert heartbeat.beat() == ["restart"]
        await pilot.pause()
        assert app.is_running  # not before the platform has the acknowledgement
        heartbeat.beat()
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == KioskApp.RESTART_EXIT
