"""The on-screen date picker, driven by taps: no typing, bounds that hold, dates as read."""

from __future__ import annotations

import datetime as dt

from kiosk.widgets.datepicker import DatePicker, step
from tests.conftest import tap
from tests.input_helpers import InputHost, text_of

TODAY = dt.date(2026, 12, 1)  # a Tuesday


async def test_a_birth_date_is_picked_by_taps_and_cannot_be_in_the_future() -> None:
    app = InputHost(lambda: DatePicker(latest=TODAY, today=TODAY))
    async with app.run_test(size=(120, 40)) as pilot:
        assert text_of(app, ".date-said") == "2026年12月1日 星期二"
        # today is the bound: no step forward is possible
        for key in ("#date-year-up", "#date-month-up", "#date-day-up", "#date-year-up10"):
            assert app.screen.query_one(key).disabled
        for _ in range(5):
            await tap(pilot, "#date-year-down10")  # 1976
        await tap(pilot, "#date-year-down")  # 1975
        for _ in range(3):
            await tap(pilot, "#date-month-down")  # September
        await tap(pilot, "#date-day-down")
        assert text_of(app, "#date-year-value") == "1975年"
        assert text_of(app, ".date-said") == "1975年8月31日 星期日"
        assert text_of(app, ".date-message") == ""
        await tap(pilot, "#date-done")
        assert [m.value for m in app.of(DatePicker.Done)] == ["1975-08-31"]
        assert app.of(DatePicker.Changed)[-1].day == dt.date(1975, 8, 31)


async def test_an_appointment_stays_within_its_window() -> None:
    latest = TODAY + dt.timedelta(days=30)
    app = InputHost(lambda: DatePicker(earliest=TODAY, latest=latest, today=TODAY))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.screen.query_one("#date-day-down").disabled  # today is the first day
        await tap(pilot, "#date-month-up")
        assert text_of(app, ".date-said") == "2026年12月31日 星期四"  # stopped at the bound
        assert app.screen.query_one("#date-month-up").disabled
        await tap(pilot, "#date-done")
        assert [m.value for m in app.of(DatePicker.Done)] == ["2026-12-31"]


async def test_a_month_field_has_no_day_column() -> None:
    app = InputHost(lambda: DatePicker(month_only=True, latest=TODAY, today=TODAY))
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.screen.query("#date-day-value")
        await tap(pilot, "#date-month-down")
        assert text_of(app, ".date-said") == "2026年11月"
        await tap(pilot, "#date-done")
        assert [m.value for m in app.of(DatePicker.Done)] == ["2026-11"]


async def test_the_date_is_read_in_the_residents_language() -> None:
    app = InputHost(lambda: DatePicker(today=TODAY), language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        assert text_of(app, ".date-said") == "1 December 2026 Tuesday"
        assert text_of(app, "#date-year-value") == "Year 2026"
        app.set_language("zh-Hans")
        await pilot.pause()
        assert text_of(app, ".date-said") == "2026年12月1日 星期二"


def test_steps_keep_the_day_within_the_month() -> None:
    assert step(dt.date(2026, 3, 31), "month", -1) == dt.date(2026, 2, 28)
    assert step(dt.date(2024, 2, 29), "year", 1) == dt.date(2025, 2, 28)
    assert step(dt.date(2026, 12, 31), "day", 1) == dt.date(2027, 1, 1)
    assert step(dt.date(2026, 1, 15), "month", -1) == dt.date(2025, 12, 15)
