"""Official paper stays Chinese; a resident who used another language gets one line of it."""

from __future__ import annotations

import datetime as dt

from kiosk.config import load_config
from kiosk.devices.printer.receipt import preview_text
from kiosk.resident.actions import Ticket
from kiosk.resident.receipts import application_receipt, ticket_receipt
from kiosk.resident.service import Category, Service
from kiosk.resident.session import Submission

CONFIG = load_config(environ={})
SERVICE = Service.from_json(
    {"code": "SB002", "category": "social_security", "name_zh": "社会保障卡补换领",
     "name_en": "Replacement of social security card", "kiosk_action": "apply",
     "guide": {"time_limit": "10个工作日", "collection": "邮寄"}, "form": []}
)  # fmt: skip
SUBMISSION = Submission("k", "KIOSK-1-0001", "SB002", "社会保障卡补换领", "张*", "ZW2026")


def test_application_receipt_is_chinese_with_an_english_line_for_an_english_resident() -> None:
    english = preview_text(application_receipt(SUBMISSION, SERVICE, {}, CONFIG, "en"), 32)
    chinese = preview_text(application_receipt(SUBMISSION, SERVICE, {}, CONFIG, "zh-Hans"), 32)
    assert "受理编号" in english and "受理回执" in english  # the official labels
    assert "Application received" in english.replace("\n", " ")
    assert "Application" not in chinese and len(english) > len(chinese)
    assert "受理编号" in chinese


def test_queue_ticket_adds_the_residents_language() -> None:
    ticket = Ticket("A012", Category("tax", "税务", "Taxation"), "B3", 4,
                    dt.datetime(2026, 12, 1, 9, 30), offline=False)  # fmt: skip
    english = preview_text(ticket_receipt(ticket, CONFIG, "en"), 32)
    hant = preview_text(ticket_receipt(ticket, CONFIG, "zh-Hant"), 32)
    assert "排队凭条" in english and "Wait for your number" in english.replace("\n", " ")
    assert "過號請重新取號" in hant  # 繁體 line under the 简体 official text
