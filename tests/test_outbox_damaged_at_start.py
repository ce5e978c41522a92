"""A damaged outbox at start: the kiosk says so, keeps the file aside, keeps serving what
still works, and staff start a new outbox from the staff menu."""

from __future__ import annotations

from pathlib import Path

from kiosk.app import KioskApp
from kiosk.config import load_config
from kiosk.screens.staff import StaffScreen
from tests.conftest import FakeClock, tap, wait_until


async def test_damaged_outbox_is_kept_aside_and_staff_start_a_new_one(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    damaged = data / "outbox.sqlite3"
    damaged.write_bytes(b"this is not a database, a power cut scribbled over it" * 100)
    config = load_config(
        environ={
            "KIOSK_TERMINAL__DATA_DIR": str(data),
            **{
                f"KIOSK_DEVICES__{k}__MODE": "off"
                for k in ("IDCARD", "SMARTCARD", "PRINTER", "CAMERA", "A4PRINTER")
            },
        }
    )
    app = KioskApp(config, clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.wait_started(0))
        services = app.services
        assert services.outbox is None and "outbox" in services.failures
        assert "moved to" in services.failures["outbox"]
        kept = [p for p in data.iterdir() if p.name.startswith("outbox.sqlite3.corrupt-")]
        assert kept and b"power cut scribbled" in kept[0].read_bytes()  # nothing thrown away
        assert services.platform is not None and services.heartbeat is not None  # rest runs
        app.refresh_status()
        await pilot.pause()
        assert app.screen.query_one("#degraded").display

        await app.push_screen(StaffScreen())
        await pilot.pause()
        assert app.screen.query_one("#staff-new-outbox").display
        assert "moved to" in str(app.screen.query_one("#staff-message").render())
        await tap(pilot, "#staff-new-outbox")
        await pilot.pause()
        assert services.outbox is not None and services.outbox.can_enqueue
        assert "outbox" not in services.failures
        receipt = services.outbox.enqueue(
            services.outbox.new_transaction_key(), "audit", "audit", {"e": 1}, {}
        )
        assert receipt.local_ref
    app.services.stop()
