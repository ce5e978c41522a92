"""Staff sign-in with a card on the smart-card reader: the card's number (a bank card's PAN or
a social security card's card number) is compared with `staff.card_numbers`. No Textual here:
the app calls this from a worker thread when a card is placed."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from typing import Protocol

from kiosk.devices.base import DeviceError
from kiosk.privacy import mask_card_number

log = logging.getLogger(__name__)


class _Pan(Protocol):
    @property
    def pan(self) -> str: ...


class _CardNumber(Protocol):
    @property
    def card_number(self) -> str: ...


class CardReader(Protocol):
    def read_bank_card(self) -> _Pan: ...

    def read_social_security(self) -> _CardNumber: ...


def card_number(reader: CardReader) -> str | None:
    """The number of the card on the reader: a bank card's PAN, else a social security
    card's card number; None when neither application answers."""
    for read, field in (
        (reader.read_bank_card, "pan"),
        (reader.read_social_security, "card_number"),
    ):
        try:
            number = str(getattr(read(), field)).replace(" ", "")
        except (DeviceError, ValueError, OSError):
            continue
        if number:
            return number
    return None


def is_staff_card(number: str | None, allowed: Iterable[str]) -> bool:
    """Compared in constant time against every configured number (a card that is not a
    staff card must not learn how close it came)."""
    if not number:
        return False
    found = False
    for candidate in allowed:
        wanted = candidate.replace(" ", "")
        found |= bool(wanted) and hmac.compare_digest(number.encode(), wanted.encode())
    return found


def masked(number: str) -> str:
    return mask_card_number(number)
