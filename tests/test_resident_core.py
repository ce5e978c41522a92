"""The journey core on its own (no screen): the steps of each kind of service, where the
resident is and where back leads, 好差评 codes and a province's numbering, answers checked in
plain words, references as residents key them, offline queue numbers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kiosk.catalog import SHIPPED
from kiosk.resident import actions, forms
from kiosk.resident.identity import QrIdentity
from kiosk.resident.rating import (
    NATIONAL,
    REVERSED,
    Rating,
    Satisfaction,
    from_province,
    levels_for,
    to_province,
)
from kiosk.resident.service import InputKind, Service
from kiosk.resident.session import ResidentSession
from kiosk.resident.steps import Journey, Phase, Step
from kiosk.resident.tickets import LocalTicketCounter

CATALOG = {s["code"]: Service.from_json(s) for s in json.loads(SHIPPED.read_text())["services"]}


def identified() -> ResidentSession:
    session = ResidentSession()
    session.identity = QrIdentity("测试长者", "11010519491231002X")  # synthetic
    return session


def test_an_application_takes_identify_face_form_review_receipt_rating() -> None:
    journey = Journey.for_service(CATALOG["SB002"], has_camera=True)
    assert journey.steps == (Step.IDENTIFY, Step.FACE, Step.FORM, Step.REVIEW, Step.RECEIPT,
                             Step.RATING)  # fmt: skip
    no_camera = Journey.for_service(CATALOG["SB002"], has_camera=False)
    assert Step.FACE not in no_camera.steps


def test_steps_the_session_already_has_are_skipped_and_back_skips_the_face() -> None:
    session = ResidentSession()
    journey = Journey.for_service(CATALOG["SB002"], has_camera=True)
    assert journey.start(session) is Step.IDENTIFY
    session.identity = QrIdentity("测试长者", "11010519491231002X")
    assert journey.next(session) is Step.FACE
    session.face_jpeg = b"\xff\xd8\xff"
    assert journey.next(session) is Step.FORM
    assert journey.indicator() == [(Phase.VERIFY, "done"), (Phase.FILL, "current"),
                                   (Phase.CONFIRM, "todo"), (Phase.DONE, "todo")]  # fmt: skip
    assert journey.position() == (2, 4)
    assert journey.next(session) is Step.REVIEW
    assert journey.back() is Step.FORM  # 上一步
    assert journey.back() is Step.IDENTIFY  # the face taken is not taken again
    assert journey.back() is None  # out of the journey: to the service's guide
    # identified before choosing the service: the journey starts at the face check
    journey = Journey.for_service(CATALOG["SB002"], has_camera=True)
    assert journey.start(identified()) is Step.FACE


def test_no_way_back_past_a_submission_and_edit_goes_back_to_the_form() -> None:
    session = identified()
    journey = Journey.for_service(CATALOG["SB002"], has_camera=False)
    journey.start(session)
    assert journey.next(session) is Step.REVIEW
    assert journey.back_to(Step.FORM) is Step.FORM  # 修改 on the review page
    journey.next(session)
    assert journey.next(session) is Step.RECEIPT
    assert not journey.can_go_back() and journey.back() is Step.RECEIPT
    assert journey.next(session) is Step.RATING
    assert journey.next(session) is None  # the end: the session ends


def test_a_record_is_printed_and_rated_without_a_review() -> None:
    journey = Journey.for_service(CATALOG["SB001"], has_camera=True)
    assert journey.steps == (Step.IDENTIFY, Step.FACE, Step.FORM, Step.RECORD, Step.RATING)


def test_rating_codes_follow_gb_t_39046_and_map_to_a_reversed_province() -> None:
    assert int(Satisfaction.VERY_SATISFIED) == 1 and Satisfaction(5).label_zh == "非常不满意"
    assert [s.needs_reason for s in Satisfaction] == [False, False, False, True, True]
    for level in Satisfaction:
        assert to_province(level, NATIONAL) == int(level)
        assert to_province(level, REVERSED) == 6 - int(level)
        assert from_province(to_province(level, REVERSED), REVERSED) is level
    with pytest.raises(ValueError):
        from_province(6, REVERSED)
    # 长辈模式's two questions reach every code, each once, at most four choices at a time
    good, bad = levels_for(True), levels_for(False)
    assert [int(s) for s in good] == [1, 2, 3] and [int(s) for s in bad] == [4, 5]
    item = Rating(Satisfaction.DISSATISFIED, "SB002", "ZW1", ("503",)).item()
    assert item["level"] == 4 and item["channel"] == "政务大厅其他终端" and item["scale"]
    with pytest.raises(ValueError):  # a 差评 says why
        Rating(Satisfaction.VERY_DISSATISFIED, "SB002", "ZW1").item()


def test_answers_are_checked_in_plain_words() -> None:
    sb002 = CATALOG["SB002"]
    phone = sb002.field("phone")
    assert phone is not None and phone.input_kind is InputKind.PHONE
    assert forms.check(phone, "1380000111").problem.text("zh-Hans") == "手机号码是11位数字，还差1位"
    assert forms.check(phone, "138 0000 1111").value == "13800001111"
    problems = forms.problems(sb002, {"phone": "13800001111"})
    assert set(problems) == {"reason"}  # the choice is still missing
    yb002 = CATALOG["YB002"]
    start = yb002.field("start_date")
    assert start is not None and start.input_kind is InputKind.DATE
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert forms.check(start, yesterday).problem is not None  # an appointment: not in the past
    destination = yb002.field("destination")
    assert destination is not None and destination.input_kind is InputKind.REGION
    assert forms.check(destination, "440100").ok  # 就医地 to the city
    rows = forms.review_rows(sb002, identified().identity, {"phone": "13800001111",
                             "reason": "lost"}, "zh-Hans")  # fmt: skip
    shown = {r.name: r.shown for r in rows}
    assert shown["phone"] == "138****1111" and shown["id_number"] == "1101**********002X"
    assert [r.editable for r in rows if r.name in ("name", "phone")] == [False, True]


def test_references_as_residents_key_or_scan_them() -> None:
    assert actions.normalise_reference(" zw2026 1201 0001 ") == "ZW202612010001"
    assert actions.normalise_reference("https://x.example/verify/zw1") == "ZW1"
    assert actions.human_time("2026-12-01T13:18:30.577Z") == (
        dt.datetime(2026, 12, 1, 13, 18, 30, tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    )


def test_offline_queue_numbers_are_short_per_category_and_survive_a_restart(
    tmp_path: Path,
) -> None:
    day = dt.date(2026, 12, 1)
    first = LocalTicketCounter(tmp_path).next("social_security", day)
    again = LocalTicketCounter(tmp_path).next("social_security", day)  # a restart between
    assert (first, again) == ("A901", "A902")
    assert LocalTicketCounter(tmp_path).next("housing_fund", day) == "C901"
    assert LocalTicketCounter(tmp_path).next("social_security", day + dt.timedelta(1)) == "A901"


def test_a_new_service_gets_its_own_answers_and_transaction_and_wipe_drops_everything() -> None:
    session = identified()
    session.start_service(CATALOG["SB002"])
    session.answers["phone"], session.transaction_key = "13800001111", "k1"
    session.start_service(CATALOG["SB002"])  # back to the same service: kept
    assert session.answers and session.transaction_key == "k1"
    session.start_service(CATALOG["SB004"])
    assert not session.answers and session.transaction_key is None
    identity = session.identity
    session.wipe()
    assert session.identity is None and identity is not None and identity.id_number == ""
