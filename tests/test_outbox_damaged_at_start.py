"""A damaged outbox at start: the kiosk keeps the file aside, rebuilds a working outbox from
what can be read at once, keeps serving, and tells staff what was carried over and lost."""

from __future__ import annotations

from pathlib import Path

from kiosk.screens.staff import StaffScreen
from tests.conftest import MakeApp, config_for, wait_until


async def test_damaged_outbox_is_kept_aside_and_a_new_one_works_at_once(
    tmp_path: Path, make_app: MakeApp
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    damaged = data / "outbox.sqlite3"
    damaged.write_bytes(b"this is not a database, a power cut scribbled over it" * 100)
    app = make_app(config_for(tmp_path))  # its data: tmp_path / "data"
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.wait_started(0))
        services = app.services
        assert services.outbox is not None and services.outbox.can_enqueue
        assert "outbox" not in services.failures
        note = services.failures["outbox_recovered"]
        assert "rebuilt" in note and "kept at" in note
        kept = [p for p in data.iterdir() if p.name.endswith(tuple("0123456789"))
                and p.name.startswith("outbox.sqlite3.corrupt-")]  # fmt: skip
        assert kept and b"power cut scribbled" in kept[0].read_bytes()  # nothing thrown away
        assert services.platform is not None and services.heartbeat is not None  # rest runs
        receipt = services.outbox.enqueue(
            services.outbox.new_transaction_key(), "audit", "audit", {"e": 1}, {}
        )
        assert receipt.local_ref

        await app.push_screen(StaffScreen())
        await pilot.pause()
        assert not app.screen.query_one("#staff-new-outbox").display
        assert "rebuilt" in str(app.screen.query_one("#staff-message").render())
