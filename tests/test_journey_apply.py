"""The whole resident journey on emulated devices and the built-in platform, by taps only:
identify with the ID card, fill the form (card fields never typed, the phone number on the
on-screen pad), review, submit, receipt printed, rate; and the way back (上一步, 修改, 返回首页)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.devices.idcard.synthetic import DEMO_FIELDS, CardType
from kiosk.privacy import mask_id_number
from kiosk.resident.frequent import FIVE_MOST_USED, FREQUENT
from kiosk.screens.form import FormScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.idcard import IdCardScreen
from kiosk.screens.rating import RatingScreen
from kiosk.screens.review import ReviewScreen
from tests.conftest import FACE, MakeApp, config_for
from tests.journey_helpers import begin_with_id_card
from tests.screen_checks import screen_text
from tests.touch import Touch

RESIDENT = DEMO_FIELDS[CardType.RESIDENT]  # synthetic


@pytest.fixture
def app(tmp_path: Path, make_app: MakeApp) -> KioskApp:
    return make_app(config_for(tmp_path, on=("idcard", "printer")))


async def fill_sb002(touch: Touch, phone: str = "13800001111") -> None:
    """社会保障卡补换领: a reason (a tap) and the phone number (the on-screen pad)."""
    await touch.until(lambda: touch.screen_is("FormScreen"))
    await touch.tap("Button.option")  # 遗失
    await touch.tap("#field-phone")
    await touch.digits(phone)
    await touch.until(lambda: touch.screen_is("FormScreen"))


async def test_apply_print_receipt_and_rate(app: KioskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB002")  # 社会保障卡补换领
        masked_id = mask_id_number(RESIDENT["id_number"])
        await touch.until(lambda: masked_id in touch.text("FormScreen .form-card-field"))
        form = app.screen
        shown = touch.text(".form-card-field")
        assert mask_id_number(RESIDENT["id_number"]) in shown and RESIDENT["id_number"] not in shown
        key = app.session.transaction_key
        assert key  # made when the transaction started

        await touch.tap("#form-next")  # nothing chosen yet: told what is missing, per field
        await pilot.pause()
        assert "请填写这一项" in str(form.query_one("#problem-reason").render())
        await touch.tap("#field-phone")  # a 10-digit number: the pad says what is wrong
        await touch.until(lambda: app.screen.query("#pad-done"))
        for digit in "1380000111":
            await touch.tap(f"#pad-{digit}")
        assert "还差1位" in " ".join(str(w.render()) for w in app.screen.query("CheckMessage"))
        await touch.tap("#pad-1")
        await touch.tap("#pad-done")
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        await touch.tap("Button.option")
        assert not form.query_one("#problem-reason").display  # fixed: the message goes
        await touch.tap("#form-next")
        await touch.until(lambda: "138****1111" in touch.text("ReviewScreen .review-value"))
        review = touch.text(".review-value")
        assert "遗失" in review
        assert RESIDENT["id_number"] not in review
        assert app.services.outbox.stats().depth == 0 or key not in _keys(app)  # not yet sent
        await touch.tap("#review-submit")
        await touch.until(lambda: "回执已打印" in touch.text("SubmittedScreen #submitted-print"))
        screen = app.screen

        # exactly one application, with the key made at the start, delivered to the platform
        submission = screen.submission
        assert submission.key == key
        outbox = app.services.outbox
        await touch.until(lambda: outbox.reference_for(key) is not None)
        reference = outbox.reference_for(key)
        progress = app.services.platform.progress(submission.local_ref)
        assert progress["reference"] == reference

        printed = app.services.device("printer").emulator.jobs[-1]
        assert printed.complete and "受理回执" in printed.text
        assert reference in printed.text or submission.local_ref in printed.text
        assert RESIDENT["id_number"] not in printed.text and "138****1111" in printed.text

        await touch.tap("#submitted-rate")
        await touch.until(lambda: isinstance(app.screen, RatingScreen))
        await touch.tap("#level-4")  # 不满意 (GB/T 39046 code 4) asks why
        assert app.screen.query_one("#rating-indicators").display
        await touch.tap("#rating-send")  # no reason yet: asked for one
        assert app.screen.query_one("#rating-need").display
        await touch.tap("#ind-503")
        await touch.tap("#rating-send")
        await pilot.pause()
        assert app.screen.query_one("#rating-thanks").display
        await touch.until(lambda: _platform_ratings(app))  # reached the platform
        rating = _platform_ratings(app)[-1]
        assert rating["level"] == 4 and rating["level_name"] == "不满意"
        assert rating["reference"] in (reference, submission.local_ref)


def _keys(app: KioskApp) -> list[str]:
    rows = app.services.outbox._conn.execute("SELECT key FROM outbox").fetchall()
    return [r[0] for r in rows]


def _platform_ratings(app: KioskApp) -> list[dict[str, object]]:
    """What the platform received (its own database), once."""
    import json

    storage = app.services._embedded.server.storage
    rows = storage._exec("SELECT display FROM items WHERE kind = 'rating'").fetchall()
    return [json.loads(r[0]) for r in rows]


async def test_back_keeps_answers_and_edit_from_review(app: KioskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB002")
        await fill_sb002(touch)
        await touch.tap("#form-next")
        await touch.until(lambda: isinstance(app.screen, ReviewScreen))
        await touch.tap("#chrome-back")  # 上一步: the form, answers kept
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        assert "138****1111" in str(app.screen.query_one("#field-phone").label)
        await touch.tap("#chrome-back")  # back to the identity step: still identified
        await touch.until(lambda: isinstance(app.screen, IdCardScreen))
        assert app.screen.query_one("#idcard-continue").display
        await touch.tap("#idcard-continue")
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        assert app.session.answers["phone"] == "13800001111"
        await touch.tap("#form-next")
        await touch.until(lambda: isinstance(app.screen, ReviewScreen))
        await touch.tap("Button.review-edit")  # 修改 the first answer (补换原因)...
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        await touch.tap("#field-phone")  # ...and the phone number, on the pad
        await touch.until(lambda: app.screen.query("#pad-done"))
        await touch.tap("#pad-clear")
        await touch.digits("13900002222")
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        await touch.tap("#form-next")
        await touch.until(lambda: isinstance(app.screen, ReviewScreen))
        review = " ".join(str(w.render()) for w in app.screen.query(".review-value"))
        assert "139****2222" in review


async def test_home_asks_before_throwing_answers_away(app: KioskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB002")
        await fill_sb002(touch)
        first_key = app.session.transaction_key
        await touch.tap("#chrome-home")
        await touch.until(lambda: type(app.screen).__name__ == "ConfirmHomeScreen")
        await touch.tap("#confirm-stay")  # changed their mind: nothing lost
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        assert app.session.answers["phone"] == "13800001111"
        await touch.tap("#chrome-home")
        await touch.until(lambda: type(app.screen).__name__ == "ConfirmHomeScreen")
        await touch.tap("#confirm-leave")
        await touch.until(lambda: isinstance(app.screen, HomeScreen) and app.session is None)
        # resident B starts the same service: asked for their own card, new transaction;
        # A's card still on the reader is never read for B
        touch2 = Touch(app, pilot)
        await touch2.open_service("SB002")
        await touch2.until(lambda: isinstance(app.screen, IdCardScreen))
        await pilot.pause()
        assert app.session.identity is None and app.session.transaction_key != first_key
        assert "上一位" in str(app.screen.query_one("#idcard-status").render())


async def test_offline_application_still_gets_a_receipt(app: KioskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB002")
        await fill_sb002(touch)
        app.services._embedded.stop()  # the network goes away mid-journey
        await touch.tap("#form-next")
        await touch.until(lambda: isinstance(app.screen, ReviewScreen))
        await touch.tap("#review-submit")
        await touch.until(lambda: "回执已打印" in touch.text("SubmittedScreen #submitted-print"))
        screen = app.screen
        assert screen.submission.platform_ref == ""
        printed = app.services.device("printer").emulator.jobs[-1].text
        assert screen.submission.local_ref in printed and "待联网后生成" in printed
        assert app.services.outbox.stats().depth >= 1  # waiting to sync, not lost


@pytest.fixture
def face_app(tmp_path: Path, make_app: MakeApp) -> KioskApp:
    """With the emulated camera: records need the face verified by the platform first.
    No A4 printer: certificates on the receipt printer here."""
    return make_app(config_for(tmp_path, on=("idcard", "printer", "camera"), **FACE))


async def choose_months(touch: Touch) -> None:
    await touch.until(lambda: touch.screen_is("FormScreen"), 40)
    await touch.tap("Button.option")  # 近12个月
    await touch.tap("#form-next")


async def test_record_without_a_face_check_is_not_given_out(app: KioskApp) -> None:
    """No camera, so no verification: the platform refuses the record and the resident is
    sent to a counter (nothing printed)."""
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB001")
        await choose_months(touch)
        await touch.until(lambda: "需先核验本人" in touch.text("RecordScreen #record-status"))
        assert not app.services.device("printer").emulator.jobs


async def test_record_is_printed_masked_then_rated(face_app: KioskApp) -> None:
    app = face_app
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB001")
        await choose_months(touch)
        await touch.until(lambda: "证明已打印" in touch.text("RecordScreen #record-status"), 40)
        printed = app.services.device("printer").emulator.jobs[-1].text
        flat = "".join(printed.split())  # the title wraps on 58 mm paper
        assert "社会保险个人参保证明" in flat and "待联网" not in flat
        assert (
            RESIDENT["id_number"] not in printed
            and mask_id_number(RESIDENT["id_number"]) in printed
        )
        await touch.tap("#record-rate")  # 好差评 after a certificate too
        await touch.until(lambda: isinstance(app.screen, RatingScreen))
        await touch.tap("#level-1")
        await touch.tap("#rating-send")
        await touch.until(lambda: isinstance(app.screen, HomeScreen) and app.session is None, 10)


async def test_record_needs_the_network_and_says_so(app: KioskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB001", offline=True)
        await choose_months(touch)
        await touch.until(lambda: "网络暂时不通" in touch.text("RecordScreen #record-status"))
        assert "取号" in touch.text("#record-status")  # what still works
        assert app.is_running


async def test_chrome_works_on_the_rating_screen(face_app: KioskApp) -> None:
    app = face_app
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB001")
        await choose_months(touch)
        await touch.until(lambda: touch.touchable("RecordScreen #record-rate"), 40)
        await touch.tap("#record-rate")
        await touch.until(lambda: isinstance(app.screen, RatingScreen))
        await touch.tap("#chrome-staff")
        await touch.tap("#lang-en")
        await touch.until(lambda: len(app.staff_calls) == 1 and app.language == "en")
        assert app.staff_calls[0][2] is True  # queued in the outbox: reaches staff offline too
        await touch.tap("#chrome-home")
        await touch.until(lambda: isinstance(app.screen, HomeScreen))
        assert app.language == "zh-Hans"  # the next person inherits nothing


async def test_a_card_on_the_home_screen_puts_a_certificate_three_taps_away(
    face_app: KioskApp,
) -> None:
    app = face_app
    async with app.run_test(size=(120, 40)) as pilot:
        touch = Touch(app, pilot)
        await touch.services_up()
        await touch.place_card()  # on the attract screen: "it is me"
        await touch.until(lambda: isinstance(app.screen, IdCardScreen))
        await touch.until(lambda: bool(app.screen.query("#quick-SB001")))
        # the five most used at once: three certificates and the two top applications
        await touch.until(lambda: all(touch.touchable(f"#quick-{c}") for c in FIVE_MOST_USED))
        await touch.tap("#quick-SB001")  # 社会保险个人参保证明打印
        await touch.until(lambda: isinstance(app.screen, FormScreen), 40)  # after the face
        await touch.tap("#form-fields Button.option")  # 近12个月
        await touch.tap("#form-next")
        await touch.until(lambda: "证明已打印" in touch.text("RecordScreen #record-status"), 40)
        assert touch.taps == 3, touch.log  # card placed, then: the service, 近12个月, 下一步
        assert "社会保险" in "".join(app.services.device("printer").emulator.jobs[-1].text.split())


async def test_the_number_on_file_is_prefilled_masked_and_replaced_on_an_empty_pad(
    face_app: KioskApp,
) -> None:
    """After the face check, the platform's number on file (asked for the resident just
    verified at this terminal) fills the phone field, masked and marked; nothing to key."""
    app = face_app
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB004")  # 养老认证: only the phone
        await touch.until(
            lambda: "138****0901（预留号码）" in touch.text("FormScreen #field-phone"), 40
        )
        assert "13800000901" not in screen_text(app)
        await touch.tap("#field-phone", lambda: touch.screen_is("FieldInputScreen"))
        assert "0901" not in screen_text(app)  # to change it, not to read it in full
        await touch.tap("#input-cancel", lambda: touch.screen_is("FormScreen"))
        assert app.session.answers["phone"] == "13800000901"  # cancel keeps it
        await touch.tap("#field-phone", lambda: touch.screen_is("FieldInputScreen"))
        await touch.digits("13900002222")
        await touch.until(lambda: "139****2222" in touch.text("FormScreen #field-phone"))
        assert "预留号码" not in touch.text("#field-phone")
        await touch.tap("#form-next")
        await touch.until(lambda: "139****2222" in touch.text("ReviewScreen .review-value"))


async def test_elder_mode_offers_only_the_certificates_at_once(face_app: KioskApp) -> None:
    app = face_app
    async with app.run_test(size=(64, 20)) as pilot:  # 长辈模式's large cells
        touch = Touch(app, pilot)
        await touch.services_up()
        await touch.tap("#chrome-elder")
        await touch.place_card()
        await touch.until(lambda: touch.touchable("IdCardScreen #quick-GJJ001"))
        shown = [code for code in FIVE_MOST_USED if touch.touchable(f"#quick-{code}")]
        assert shown == list(FREQUENT)  # with 更多服务: four choices
        assert touch.touchable("#idcard-continue")
