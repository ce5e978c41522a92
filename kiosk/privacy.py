"""Masking of personal data for screen, paper and logs.

Masked forms follow common practice on Chinese government terminals: keep enough to let
the resident recognise their own record, never enough to identify them.
"""

from __future__ import annotations

import re

# 18-character resident ID numbers (last char may be X), 15-digit legacy numbers,
# mainland mobile numbers. Used as a last line of defence in the log filter.
_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{6})(\d{3})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_id_number(value: str) -> str:
    """'11010519491231002X' -> '1101**********002X'."""
    value = value.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """'张三' -> '张*', '欧阳娜娜' -> '欧**娜', 'JOHN SMITH' -> 'J*** S****'."""
    value = value.strip()
    if not value:
        return value
    if value.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in value.split())
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(value: str) -> str:
    value = value.strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_card_number(value: str) -> str:
    """Bank PAN or social security card number: keep the first 4 and last 4."""
    value = value.replace(" ", "")
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def scrub(text: str) -> str:
    """Mask anything in free text that looks like an ID number or a mobile number."""
    text = _ID18.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(3)[-4:], text)
    text = _ID15.sub(lambda m: m.group(1)[:4] + "*" * 7 + m.group(3)[-4:], text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
