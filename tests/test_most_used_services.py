"""The ten most used services, driven by taps alone (no key presses; the pads and pickers on
the screen), one resident after another on one terminal: in 简体 normal mode and in 长辈模式,
online and offline. Each asserts what the resident sees, what is printed, and that each
submission reaches the platform (or waits in the outbox) exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, CardType
from kiosk.privacy import mask_id_number, mask_phone
from kiosk.resident.frequent import MOST_USED_APPLICATIONS, MOST_USED_RECORDS
from kiosk.screens.submitted import SubmittedScreen
from kiosk.touchdriver import PAD_ANSWERS
from tests.conftest import FACE, MakeApp, config_for
from tests.touch import Touch

RESIDENT = DEMO_FIELDS[CardType.RESIDENT]  # synthetic
ON_FILE_PHONE = "13800000901"  # the platform's invented resident (residents.json)
APPLICATIONS = MOST_USED_APPLICATIONS
# Certificates issued on the spot (live data, sealed by the platform): need the platform and a
# face check. With the A4 printer off here, each prints its receipt-printer summary.
RECORDS = MOST_USED_RECORDS


def printed_text(app: KioskApp) -> str:
    jobs = app.services.device("printer").emulator.jobs
    return jobs[-1].text if jobs else ""


async def one_resident(touch: Touch, code: str, *, elder: bool, online: bool) -> str | None:
    """One resident's whole visit; returns the outbox key of what they submitted."""
    app = touch.app
    jobs_before = len(app.services.device("printer").emulator.jobs)
    if elder:
        await touch.tap("#chrome-elder")
        assert app.elder
    await touch.open_service(code)
    await touch.identify()
    if code in RECORDS and not online:
        await touch.until(lambda: "无法核验身份" in touch.text("FaceScreen #face-status"), 40)
        await touch.tap("#chrome-home")
        await touch.until(lambda: touch.screen_is("ConfirmHomeScreen"))
        await touch.tap("#confirm-leave")
        return None
    masked_id = mask_id_number(RESIDENT["id_number"])
    # from the card, masked
    await touch.until(lambda: masked_id in touch.text("FormScreen .form-card-field"), 40)
    await touch.answer_form()  # pads and pickers on the screen: no keyboard
    # online, the platform's number on file is prefilled, masked and marked: nothing keyed
    phone = ON_FILE_PHONE if online else PAD_ANSWERS["phone"]
    if code in APPLICATIONS:
        assert (mask_phone(ON_FILE_PHONE) + "（预留号码）" in touch.text("#field-phone")) == online
    await touch.tap("#form-next")
    if code in RECORDS:
        await touch.until(lambda: "证明已打印" in touch.text("RecordScreen #record-status"), 40)
        text = printed_text(app)
        assert RESIDENT["id_number"] not in text and mask_id_number(RESIDENT["id_number"]) in text
        await touch.tap("#record-done")
        await touch.until(lambda: touch.screen_is("HomeScreen") and app.session is None)
        return None
    await touch.until(lambda: mask_phone(phone) in touch.text("ReviewScreen .review-value"))
    shown = touch.text(".review-value")
    assert RESIDENT["id_number"] not in shown and phone not in shown  # masked
    await touch.tap("#review-submit")
    await touch.until(lambda: "回执已打印" in touch.text("SubmittedScreen #submitted-print"))
    screen = app.screen
    assert isinstance(screen, SubmittedScreen) and screen.submission is not None
    submission = screen.submission
    assert len(app.services.device("printer").emulator.jobs) == jobs_before + 1
    text = printed_text(app)
    assert "受理回执" in text and RESIDENT["id_number"] not in text
    assert submission.reference in text or submission.local_ref in text
    if not online:
        assert "待联网后生成" in text and submission.platform_ref == ""
    await touch.tap("#submitted-done")
    await touch.until(lambda: touch.screen_is("HomeScreen") and app.session is None)
    assert app.language == "zh-Hans" and not app.elder  # the next person inherits nothing
    return submission.key


# Every pairing of mode and network: ten residents each, about a minute a run.
@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
async def test_ten_most_used_services_by_taps(
    tmp_path: Path, make_app: MakeApp, elder: bool, online: bool
) -> None:
    app = make_app(config_for(tmp_path, on=("idcard", "printer", "camera"), **FACE))
    async with app.run_test(size=(120, 40)) as pilot:
        touch = Touch(app, pilot)
        await touch.services_up()
        if not online:
            app.services._embedded.stop()  # the network is down all along
        keys = []
        taps: dict[str, int] = {}
        for code in (*APPLICATIONS, *RECORDS):
            touch.taps = 0
            key = await one_resident(touch, code, elder=elder, online=online)
            taps[code] = touch.taps
            if key:
                keys.append(key)
        assert len(keys) == len(APPLICATIONS) == len(set(keys))
        outbox = app.services.outbox
        if online:  # each reaches the platform once
            await touch.until(lambda: all(outbox.reference_for(k) for k in keys), 30)
            storage = app.services._embedded.server.storage
            rows = storage._exec("SELECT key FROM items WHERE kind = 'application'").fetchall()
            received = [r[0] for r in rows]
            assert sorted(received) == sorted(keys)
        else:  # each waits in the outbox once, to be sent when the network is back
            pending = [r[0] for r in outbox._conn.execute(
                "SELECT key FROM outbox WHERE kind = 'application'").fetchall()]  # fmt: skip
            assert sorted(pending) == sorted(keys)
        # records: home → printed certificate in 8 taps by the guide; in 长辈模式 also its
        # switch and at most one 下一页 (categories four a page)
        assert all(taps[code] <= 8 + 2 * elder for code in RECORDS if online), taps
        (tmp_path / "taps.json").write_text(json.dumps(taps))
