"""Disk full at submission: the resident is told plainly that nothing was submitted, staff
see why, and nothing half-written is left in the outbox."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.screens.form import FormScreen
from kiosk.screens.review import ReviewScreen
from tests.conftest import MakeApp, config_for, tap, wait_until
from tests.journey_helpers import begin_with_id_card


def fill(directory: Path) -> None:
    """Fill the filesystem the way a runaway log file would."""
    try:  # closing flushes what is still buffered: that fails too on a full disk
        with open(directory / "filler.bin", "wb") as f:
            while True:
                f.write(os.urandom(16384))
                f.flush()
    except OSError:
        pass


async def test_disk_full_refuses_the_application_clearly(
    tmp_path: Path, tiny_fs: Path, make_app: MakeApp
) -> None:
    outbox = str(tiny_fs / "outbox.sqlite3")
    app = make_app(config_for(tmp_path, on=("idcard",), KIOSK_OUTBOX__PATH=outbox))
    async with app.run_test(size=(160, 45)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB002")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen))
        await touch.tap("Button.option")
        await touch.tap("#field-phone")
        await touch.digits("13800001111")
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        await touch.tap("#form-next")
        await touch.until(lambda: isinstance(app.screen, ReviewScreen))
        form = app.screen
        depth_before = app.services.outbox.pending_count()

        # The WAL reuses its own space after a checkpoint, so a commit can still succeed on a
        # full disk. Give that space back first (as the truncating checkpoint after a purge
        # does), then let something else take every free block.
        from kiosk.offline.checkpoint import checkpoint

        with app.services.outbox._lock:
            checkpoint(app.services.outbox._conn, "TRUNCATE")
        fill(tiny_fs)
        await touch.tap("#review-submit")
        message = form.query_one("#review-error")
        await wait_until(pilot, lambda: "存储空间已满" in str(message.render()))
        assert isinstance(app.screen, ReviewScreen) and message.display
        assert "没有提交" in str(message.render())
        assert not form.query_one("#review-submit").disabled  # they may try again later
        assert "outbox" in app.services.failures and "disk full" in app.services.failures["outbox"]
        assert app.services.outbox.pending_count() == depth_before  # nothing half-written
        assert app.services.outbox.integrity_check() == ["ok"]

        (tiny_fs / "filler.bin").unlink()  # staff free the space; the same tap now works
        await tap(pilot, "#review-submit")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReviewScreen))
        assert app.services.outbox.pending_count() + app.services.outbox.stats().delivered_kept >= 1
        assert "outbox" not in app.services.failures
