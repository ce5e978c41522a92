"""Logs are structured JSON in a rotating file and never carry personal data in clear."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.logging_setup import setup_logging
from kiosk.privacy import mask_card_number, mask_id_number, mask_name, mask_phone, scrub


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("JOHN SMITH") == "J*** S****"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_card_number("6222021234567890123") == "6222***********0123"


def test_scrub_finds_numbers_in_free_text() -> None:
    text = scrub("read 11010519491231002X, phone 13812345678, ref 20261122")
    assert "11010519491231002X" not in text and "1101**********002X" in text
    assert "13812345678" not in text and "ref 20261122" in text


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_log_file_is_json_and_scrubbed(tmp_path: Path, restore_logging: None) -> None:
    path = setup_logging(tmp_path / "logs")
    log = logging.getLogger("kiosk.test")
    log.info(
        "card read for %s",
        "11010519491231002X",
        extra={"device": "idcard", "note": "tel 13812345678"},
    )
    try:
        raise ValueError("bad 11010519491231002X")
    except ValueError:
        log.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    raw = path.read_text(encoding="utf-8")
    assert "11010519491231002X" not in raw and "13812345678" not in raw
    entries = [json.loads(line) for line in raw.splitlines()]
    assert entries[0]["device"] == "idcard" and entries[0]["level"] == "INFO"
    assert "1101**********002X" in entries[0]["msg"]
    assert "exc" in entries[1]
