"""Alert rules: which alerts a terminal's latest heartbeat raises. Pure functions, so the
rules are tested without a server; the offline rule runs in the store's sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.platform.server.console.settings import ConsoleSettings

CHINA = ZoneInfo("Asia/Shanghai")

ALERT_LABELS = {
    "offline": "离线",
    "paper_out": "缺纸",
    "paper_low": "纸将尽",
    "backlog": "积压",
    "dead_letters": "死信",
    "skew": "时钟偏差",
    "device": "设备故障",
}
# Shown first: the ones that stop residents from being served.
ALERT_ORDER = ("offline", "paper_out", "device", "dead_letters", "backlog", "paper_low", "skew")


@dataclass(frozen=True)
class Report:
    """The parts of a heartbeat the rules look at."""

    paper: str  # full / low / out / unknown
    outbox_depth: int
    outbox_oldest_s: float | None
    dead_letters: int
    skew_s: float | None
    broken_devices: tuple[str, ...]


def alerts_for(report: Report, settings: ConsoleSettings) -> dict[str, str]:
    """kind -> detail for every rule the report breaks (offline is never among them)."""
    found: dict[str, str] = {}
    if report.paper == "out":
        found["paper_out"] = "打印机缺纸"
    elif report.paper == "low":
        found["paper_low"] = "打印纸将尽"
    if report.outbox_depth > settings.backlog_items:
        found["backlog"] = f"待上传 {report.outbox_depth} 件"
    elif report.outbox_oldest_s is not None and report.outbox_oldest_s > settings.backlog_age_s:
        found["backlog"] = f"最早一件已等待 {int(report.outbox_oldest_s // 60)} 分钟"
    if report.dead_letters > 0:
        found["dead_letters"] = f"{report.dead_letters} 件被拒"
    if report.skew_s is not None and abs(report.skew_s) > settings.skew_s:
        found["skew"] = f"终端时钟偏差 {report.skew_s:+.0f} 秒"
    if report.broken_devices:
        found["device"] = "、".join(report.broken_devices)
    return found


def sort_alerts(kinds: list[str]) -> list[str]:
    return sorted(kinds, key=lambda k: ALERT_ORDER.index(k) if k in ALERT_ORDER else 99)


def add_working_days(start: float, days: int) -> float:
    """The end of the `days`-th working day (Mon-Fri, China time) after `start`.
    Public holidays and 调休 weekends are not modelled: a province would load its calendar."""
    day: date = datetime.fromtimestamp(start, CHINA).date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    end = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CHINA)
    return end.timestamp()
