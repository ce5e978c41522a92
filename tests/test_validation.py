"""Field checks: the normalised value and the plain-words message a resident would read."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import idnumber
from kiosk.i18n import LANGUAGES, catalog
from kiosk.validation import (
    check,
    check_amount,
    check_bank_card,
    check_date,
    check_id_number,
    check_integer,
    check_month,
    check_phone,
    check_reference,
    check_region,
    human_date,
)

TODAY = dt.date(2026, 12, 1)
SYNTHETIC_ID = idnumber.with_check_digit("11010519491231002")  # 1949-12-31, 东城区


def said(checked, language: str = "zh-Hans") -> str | None:
    return None if checked.problem is None else checked.problem.text(language)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "请输入11位手机号码"),
        ("1381234", "手机号码是11位数字，还差4位"),
        ("1381234567", "手机号码是11位数字，还差1位"),
        ("138123456789", "手机号码是11位数字，多了1位"),
        ("23812345678", "手机号码以1开头，请核对第一位"),
        ("12", "手机号码的第二位是3到9，请核对"),
        ("138a", "手机号码只能是数字"),
    ],
)
def test_a_wrong_phone_number_says_what_to_fix(typed: str, message: str) -> None:
    checked = check_phone(typed)
    assert not checked.ok
    assert said(checked) == message


def test_a_phone_number_is_stored_without_the_blanks_people_type() -> None:
    checked = check_phone(" 138-1234 5678 ")
    assert checked.ok and checked.value == "13812345678"


def test_a_short_phone_number_is_only_incomplete_while_a_wrong_one_is_an_error() -> None:
    assert check_phone("138").problem.incomplete  # a hint while typing
    assert not check_phone("128").problem.incomplete  # wrong however it goes on


def test_the_messages_exist_in_every_language() -> None:
    for language in LANGUAGES:
        assert said(check_phone("1381234"), language) != "check.phone.short"
    assert said(check_phone("1381234"), "zh-Hant") == "手機號碼是11位數字，還差4位"
    assert said(check_phone("1381234"), "en") == "A mobile number has 11 digits: 4 more to go"
    # every check.* key is in every catalog (a missing one would fall back to 简体)
    keys = {k for k in catalog("zh-Hans") if k.startswith("check.")}
    for language in LANGUAGES:
        assert keys <= set(catalog(language)), language


def test_an_id_number_accepts_lower_case_x_and_checks_its_check_digit() -> None:
    assert SYNTHETIC_ID.endswith("X")
    checked = check_id_number(SYNTHETIC_ID.lower())
    assert checked.ok and checked.value == SYNTHETIC_ID
    wrong = SYNTHETIC_ID[:16] + "3X"  # one digit mistyped
    assert said(check_id_number(wrong)) == "号码中有一位不对（最后一位校验码对不上），请逐位核对"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "请输入18位身份证号码"),
        ("1101051949", "身份证号码是18位，还差8位"),
        (SYNTHETIC_ID + "1", "身份证号码是18位，多了1位"),
        ("1101X", "X只能是身份证号码的最后一位"),
        ("99", "号码的前两位不是省份代码，请核对"),
        ("11010519491331", "号码第7到14位是出生日期，这几位不对，请核对"),
        ("1101*5", "身份证号码只有数字，最后一位可能是X"),
    ],
)
def test_a_wrong_id_number_says_what_to_fix(typed: str, message: str) -> None:
    assert said(check_id_number(typed)) == message


@pytest.mark.parametrize(
    ("typed", "value"),
    [("2026-12-01", "2026-12-01"), ("2024/2/29", "2024-02-29"), ("20261130", "2026-11-30"),
     ("2026年1月5日", "2026-01-05"), (dt.date(2026, 3, 4), "2026-03-04")],
)  # fmt: skip
def test_a_real_date_is_stored_in_iso_form(typed: str | dt.date, value: str) -> None:
    checked = check_date(typed, today=TODAY)
    assert checked.ok and checked.value == value


def test_a_date_that_is_not_in_the_calendar_says_why() -> None:
    assert said(check_date("2026-02-30")) == "2026年2月只有28天"
    assert said(check_date("2026-02-30"), "en") == "Month 2 of 2026 has only 28 days"
    assert said(check_date("2024-04-31")) == "2024年4月只有30天"
    assert said(check_date("2026-13-01")) == "月份是1到12月"
    # the ux review's "12/15" was filed as a date: now it is refused with an example
    assert said(check_date("12/15", today=TODAY)) == "日期请按 年-月-日 填写，例如 2026-12-01"


def test_date_ranges_name_the_bound_as_a_person_reads_it() -> None:
    assert said(check_date("2026-12-02", latest=TODAY, today=TODAY)) == "不能晚于今天"
    assert said(check_date("2026-11-30", earliest=TODAY, today=TODAY)) == "不能早于今天"
    bound = dt.date(2025, 1, 1)
    assert said(check_date("2024-12-31", earliest=bound, today=TODAY)) == "不能早于2025年1月1日"
    assert said(check_date("2024-12-31", earliest=bound, today=TODAY), "en") == (
        "Cannot be earlier than 1 January 2025"
    )
    assert check_date("2026-12-01", latest=TODAY, today=TODAY).ok


def test_a_month_field_takes_year_and_month() -> None:
    assert check_month("2026-3").value == "2026-03"
    assert said(check_month("2027-01", latest=TODAY, today=TODAY)) == "不能晚于本月"
    assert said(check_month("1990-12", earliest=dt.date(1991, 7, 1))) == "不能早于1991年7月"
    assert said(check_month("2026-13")) == "月份是1到12月"


def test_a_reference_accepts_lower_case_and_blanks() -> None:
    checked = check_reference(" zw2026 1201 0000 0042 ")
    assert checked.ok and checked.value == "ZW202612010000 0042".replace(" ", "")
    assert check_reference("kiosk-demo-0001-20261201-000003").value == (
        "KIOSK-DEMO-0001-20261201-000003"
    )
    assert said(check_reference("XY1", prefix="ZW")) == "编号以ZW开头，请核对"
    assert said(check_reference("ZW2026", length=18)) == "编号是18位，还差12位"
    assert said(check_reference("ZW/1")) == "编号只有字母、数字和“-”，请核对"


def test_a_region_must_be_chosen_down_to_the_county_unless_there_is_none_below() -> None:
    assert said(check_region("440100")) == "请继续选择到区县"
    assert check_region("440106").ok  # 广州市天河区
    assert check_region("441900").ok  # 东莞市 has no counties
    assert check_region("440100", level="city").ok
    assert said(check_region("999999")) == "没有这个地区，请重新选择"


def test_other_numbers() -> None:
    assert said(check_bank_card("6222 0202")) == "银行卡号是16到19位数字，至少还差8位"
    assert check_bank_card("6222 0202 0000 0000 123").ok
    assert check_integer("2", minimum=1990, maximum=2026).problem.incomplete  # 2 → 2026
    assert said(check_integer("1980", minimum=1990, maximum=2026)) == "不能小于1990"
    assert said(check_integer("2030", minimum=1990, maximum=2026)) == "不能大于2026"
    assert check_amount("1,200").value == "1200.00"
    assert check_amount("35.5").value == "35.50"
    assert said(check_amount("3.555")) == "金额最多到分（小数点后两位）"
    assert said(check_amount("0")) == "金额不能是0"


def test_check_dispatches_by_field_type() -> None:
    assert check("phone", "13812345678").ok
    assert check("id_number", SYNTHETIC_ID).ok
    assert not check("date", "2026-02-30").ok


def test_human_date() -> None:
    assert human_date(TODAY, "zh-Hans") == "2026年12月1日"
    assert human_date(TODAY, "en") == "1 December 2026"


def test_checks_regions_search_and_pinyin_stay_headless() -> None:
    """Importable by the journey core, which cannot import Textual."""
    import subprocess
    import sys

    probe = (
        "import sys, kiosk.validation, kiosk.regions, kiosk.search, kiosk.pinyin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_municipality_answers_a_question_asked_down_to_the_city() -> None:
    assert check_region("110000", level="city").ok  # 北京市
    assert said(check_region("440000", level="city")) == "请继续选择到市"
    assert said(check_region("110000")) == "请继续选择到区县"
