"""One `Identity` protocol for every way a resident identifies: the ID card, the social
security card, a phone QR code vouched for by the platform. Each way implements it once;
the rest of the journey never asks which it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from kiosk.privacy import mask_id_number, mask_name

if TYPE_CHECKING:  # the card classes live with their readers; load them only with them
    from kiosk.devices.idcard.card import IdCard
    from kiosk.devices.smartcard.ssc import SocialSecurityCard

Source = Literal["idcard", "smartcard", "qr"]


@runtime_checkable
class Identity(Protocol):
    """A resident, as one identification method established them. `repr` is masked."""

    @property
    def source(self) -> Source: ...
    @property
    def name(self) -> str: ...
    @property
    def id_number(self) -> str: ...
    @property
    def sex(self) -> str: ...  # 男 / 女, or empty
    @property
    def birth_date(self) -> str: ...  # YYYY-MM-DD, or empty
    @property
    def address(self) -> str: ...
    @property
    def ethnicity(self) -> str: ...

    def wipe(self) -> None: ...


def masked_name(identity: Identity) -> str:
    return mask_name(identity.name)


def masked_id_number(identity: Identity) -> str:
    return mask_id_number(identity.id_number)


def card_fields(identity: Identity | None) -> dict[str, str]:
    """The fields a form takes from the identity (shown masked, never typed)."""
    if identity is None:
        return {}
    return {
        "name": identity.name,
        "id_number": identity.id_number,
        "gender": identity.sex,
        "sex": identity.sex,
        "birth_date": identity.birth_date,
        "address": identity.address,
        "ethnicity": identity.ethnicity,
    }


def _iso_date(yyyymmdd: str) -> str:
    d = yyyymmdd.replace("-", "")
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else yyyymmdd


class IdCardIdentity:
    """A resident ID card (or residence permit / foreign permanent resident card) read by the
    SAM reader. Holds the card object so `wipe` clears the card's own buffers too."""

    source: Source = "idcard"

    def __init__(self, card: IdCard) -> None:
        self._card: IdCard | None = card

    def _get(self) -> IdCard:
        if self._card is None:
            raise RuntimeError("identity wiped")
        return self._card

    @property
    def name(self) -> str:
        card = self._card
        return (card.name or card.name_en) if card else ""

    @property
    def id_number(self) -> str:
        return self._card.id_number if self._card else ""

    @property
    def sex(self) -> str:
        return self._card.sex if self._card else ""

    @property
    def birth_date(self) -> str:
        return _iso_date(self._card.birth_date) if self._card else ""

    @property
    def address(self) -> str:
        return self._card.address if self._card else ""

    @property
    def ethnicity(self) -> str:
        return self._card.nation if self._card else ""

    @property
    def card(self) -> IdCard:
        return self._get()

    def wipe(self) -> None:
        if self._card is not None:
            self._card.wipe()
        self._card = None

    def __repr__(self) -> str:
        return (
            f"IdCardIdentity(name={mask_name(self.name)!r}, id={mask_id_number(self.id_number)!r})"
        )


class SocialSecurityIdentity:
    """A social security card read over PC/SC (SSSE application, EF05/EF06)."""

    source: Source = "smartcard"

    def __init__(self, card: SocialSecurityCard) -> None:
        self._card: SocialSecurityCard | None = card

    @property
    def name(self) -> str:
        return self._card.name if self._card else ""

    @property
    def id_number(self) -> str:
        return self._card.id_number if self._card else ""

    @property
    def sex(self) -> str:
        return self._card.sex_label if self._card else ""

    @property
    def birth_date(self) -> str:
        return _iso_date(self._card.birth_date) if self._card else ""

    @property
    def address(self) -> str:
        return ""  # not on the card

    @property
    def ethnicity(self) -> str:
        return ""

    def wipe(self) -> None:
        if self._card is not None:
            wipe = getattr(self._card, "wipe", None)
            if callable(wipe):
                wipe()
        self._card = None

    def __repr__(self) -> str:
        return (
            f"SocialSecurityIdentity(name={mask_name(self.name)!r}, "
            f"id={mask_id_number(self.id_number)!r})"
        )


@dataclass(eq=False, repr=False)
class QrIdentity:
    """A resident identified by a phone QR code, as the platform vouched for them."""

    name: str
    id_number: str
    sex: str = ""
    birth_date: str = ""
    address: str = ""
    ethnicity: str = ""
    source: Source = "qr"

    @classmethod
    def from_platform(cls, resident: dict[str, str]) -> QrIdentity:
        return cls(
            name=resident.get("name", ""),
            id_number=resident.get("id_number", ""),
            sex=resident.get("gender", "") or resident.get("sex", ""),
            birth_date=_iso_date(resident.get("birth_date", "")),
        )

    def wipe(self) -> None:
        self.name = self.id_number = self.sex = self.birth_date = ""
        self.address = self.ethnicity = ""

    def __repr__(self) -> str:
        return f"QrIdentity(name={mask_name(self.name)!r}, id={mask_id_number(self.id_number)!r})"


def from_card(source: str, card: object) -> Identity:
    """The identity for a card a reader returned."""
    if source == "idcard":
        from kiosk.devices.idcard.card import IdCard

        assert isinstance(card, IdCard)
        return IdCardIdentity(card)
    from kiosk.devices.smartcard.ssc import SocialSecurityCard

    assert isinstance(card, SocialSecurityCard)
    return SocialSecurityIdentity(card)
