"""A catalog service and its form, typed, with its texts in the resident's language. The
catalog arrives as JSON from the platform (or the shipped copy); this is the one place that
reads its shape. It carries 简体 and English (`name_en`, `label_en`, `guide_en`); 繁體 is
made by OpenCC with hand-fixed terms (kiosk/hant.py) unless the catalog gives a hand-written
`name_zh_hant` / `label_zh_hant`. Headless: no Textual here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, TypeGuard, get_args

from kiosk.hant import to_hant
from kiosk.i18n import variant

Language = Literal["zh-Hans", "zh-Hant", "en"]


def is_language(value: str) -> TypeGuard[Language]:
    return value in get_args(Language)


# How a number typed on the pad is checked (and so which pad takes it).
NumberKind = Literal["phone", "id_number", "bank_card", "amount", "integer", "reference"]
JsonObj = Mapping[str, object]


class Action(StrEnum):
    APPLY = "apply"  # a form, submitted through the outbox, a receipt
    PRINT_RECORD = "print_record"  # live data from the platform, printed as a certificate
    GUIDE_ONLY = "guide_only"  # read the guide; done at a counter


class InputKind(StrEnum):
    """How a resident enters a field on a touch screen (never a hardware keyboard)."""

    CARD = "card"  # from the identity card: shown masked, never typed
    CHOICE = "choice"  # big option buttons
    PHONE = "phone"  # number pad, 11 digits
    ID_NUMBER = "id_number"  # number pad with X
    DIGITS = "digits"  # number pad: amounts, years, card numbers
    CODE = "code"  # letters and digits: plates, permit and certificate numbers
    DATE = "date"  # date picker
    REGION = "region"  # province / city / county picker (GB/T 2260)
    ADDRESS = "address"  # the division from the picker, then the street line by keyboard
    HANZI = "hanzi"  # on-screen pinyin keyboard: names and free words, the last resort


# Text fields of the demo catalog by what they hold; a province's catalog may say it itself
# with an "input" key on the field, which wins.
_TEXT_FIELDS: dict[str, InputKind] = {
    "destination": InputKind.REGION,
    "from_city": InputKind.REGION,
    "living_address": InputKind.ADDRESS,
    "bank_card": InputKind.DIGITS,
    "birth_cert_no": InputKind.CODE,
    "cert_no": InputKind.CODE,
    "proof_no": InputKind.CODE,
    "permit_no": InputKind.CODE,
    "licence_no": InputKind.DIGITS,
    "plate": InputKind.CODE,
    "violation_no": InputKind.DIGITS,
    "vin_last6": InputKind.CODE,
    "disability_cert_no": InputKind.CODE,
}


def localized(language: Language, zh: str, hant: str, en: str) -> str:
    """The one place a catalog text is picked for a language (fallback: 简体)."""
    if language == "en":
        return en or zh
    if language == "zh-Hant":
        return hant or to_hant(zh, variant())  # OpenCC + hand-fixed terms, for this terminal
    return zh


def _text(obj: JsonObj, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _texts(obj: JsonObj, key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (value,) if isinstance(value, str) and value else ()


@dataclass(frozen=True)
class Option:
    value: str
    label_zh: str
    label_en: str = ""
    label_hant: str = ""

    def label(self, language: Language) -> str:
        return localized(language, self.label_zh, self.label_hant, self.label_en)


@dataclass(frozen=True)
class FormField:
    name: str
    label_zh: str
    label_en: str = ""
    label_hant: str = ""
    type: str = "text"
    required: bool = False
    from_card: bool = False
    options: tuple[Option, ...] = ()
    max_length: int = 50
    input_hint: str = ""

    @classmethod
    def from_json(cls, raw: JsonObj) -> FormField:
        options = raw.get("options")
        opts = tuple(
            Option(_text(o, "value"), _text(o, "label_zh"), _text(o, "label_en"),
                   _text(o, "label_zh_hant"))
            for o in (options if isinstance(options, list) else [])
            if isinstance(o, Mapping)
        )  # fmt: skip
        max_length = raw.get("max_length")
        return cls(
            name=_text(raw, "name"),
            label_zh=_text(raw, "label_zh"),
            label_en=_text(raw, "label_en"),
            label_hant=_text(raw, "label_zh_hant"),
            type=_text(raw, "type") or "text",
            required=bool(raw.get("required")),
            from_card=raw.get("source") == "idcard",
            options=opts,
            max_length=max_length if isinstance(max_length, int) else 50,
            input_hint=_text(raw, "input"),
        )

    def label(self, language: Language) -> str:
        return localized(language, self.label_zh, self.label_hant, self.label_en)

    @property
    def region_level(self) -> Literal["province", "city", "county"]:
        """How deep a place is chosen: 就医地 and 转出城市 are cities, the rest counties."""
        return "city" if self.name in ("destination", "from_city") else "county"

    @property
    def input_kind(self) -> InputKind:
        if self.from_card:
            return InputKind.CARD
        if self.input_hint:
            return InputKind(self.input_hint)
        by_type = {
            "select": InputKind.CHOICE,
            "phone": InputKind.PHONE,
            "id_number": InputKind.ID_NUMBER,
            "number": InputKind.DIGITS,
            "date": InputKind.DATE,
            "textarea": InputKind.HANZI,
        }
        if self.type in by_type:
            return by_type[self.type]
        return _TEXT_FIELDS.get(self.name, InputKind.HANZI)

    @property
    def number_kind(self) -> NumberKind:
        """For a field typed on the number pad (phone, ID number, digits): how the number
        is checked, by its input kind or else by what the field holds."""
        kind, name = self.input_kind, self.name
        if kind is InputKind.PHONE:
            return "phone"
        if kind is InputKind.ID_NUMBER:
            return "id_number"
        if name == "bank_card":
            return "bank_card"
        if name in ("amount", "monthly_income"):
            return "amount"
        if name.startswith("year") or name == "household_size":
            return "integer"
        return "reference"

    def option_label(self, value: str, language: Language) -> str:
        return next((o.label(language) for o in self.options if o.value == value), value)


@dataclass(frozen=True)
class Guide:
    conditions: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    time_limit: str = ""
    fee: str = ""
    collection: str = ""

    @classmethod
    def from_json(cls, raw: object) -> Guide:
        guide: JsonObj = raw if isinstance(raw, Mapping) else {}
        return cls(
            conditions=_texts(guide, "conditions"),
            materials=_texts(guide, "materials"),
            time_limit=_text(guide, "time_limit"),
            fee=_text(guide, "fee"),
            collection=_text(guide, "collection"),
        )

    def in_hant(self) -> Guide:
        """繁體 by OpenCC and the hand-fixed terms, in this terminal's variant."""
        v = variant()

        def hant(text: str) -> str:
            return to_hant(text, v)

        return Guide(tuple(map(hant, self.conditions)), tuple(map(hant, self.materials)),
                     hant(self.time_limit), hant(self.fee), hant(self.collection))  # fmt: skip


@dataclass(frozen=True)
class Service:
    code: str
    category: str
    name_zh: str
    name_en: str = ""
    name_hant: str = ""
    action: Action = Action.GUIDE_ONLY
    record_type: str = ""
    needs_verification: bool = False
    guide: Guide = field(default_factory=Guide)
    guide_en: Guide | None = None  # None: an older catalog, without an English guide
    form: tuple[FormField, ...] = ()
    keywords: tuple[str, ...] = ()
    pinyin_initials: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: JsonObj) -> Service:
        guide_en = raw.get("guide_en")
        form = raw.get("form")
        try:
            action = Action(_text(raw, "kiosk_action") or "guide_only")
        except ValueError:
            action = Action.GUIDE_ONLY
        return cls(
            code=_text(raw, "code"),
            category=_text(raw, "category"),
            name_zh=_text(raw, "name_zh"),
            name_en=_text(raw, "name_en"),
            name_hant=_text(raw, "name_zh_hant"),
            action=action,
            record_type=_text(raw, "record_type"),
            needs_verification=bool(raw.get("needs_verification")),
            guide=Guide.from_json(raw.get("guide")),
            guide_en=Guide.from_json(guide_en) if isinstance(guide_en, Mapping) else None,
            form=tuple(
                FormField.from_json(f)
                for f in (form if isinstance(form, list) else [])
                if isinstance(f, Mapping)
            ),  # fmt: skip
            keywords=_texts(raw, "keywords"),
            pinyin_initials=_texts(raw, "pinyin_initials"),
        )

    def name(self, language: Language) -> str:
        return localized(language, self.name_zh, self.name_hant, self.name_en)

    def guide_in(self, language: Language) -> Guide:
        """The guide in `language`: the catalog's English guide (an older catalog without
        one: the Chinese guide rather than an empty page), 繁體 by OpenCC."""
        if language == "en":
            return self.guide_en if self.guide_en is not None else self.guide
        if language == "zh-Hant":
            return self.guide.in_hant()
        return self.guide

    @property
    def needs_identity(self) -> bool:
        return self.needs_verification or any(f.from_card for f in self.form)

    @property
    def resident_fields(self) -> tuple[FormField, ...]:
        """The fields the resident answers (not taken from the card)."""
        return tuple(f for f in self.form if not f.from_card)

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.form if f.name == name), None)


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str = ""
    name_hant: str = ""

    @classmethod
    def from_json(cls, raw: JsonObj) -> Category:
        return cls(_text(raw, "code"), _text(raw, "name_zh"), _text(raw, "name_en"),
                   _text(raw, "name_zh_hant"))  # fmt: skip

    def name(self, language: Language) -> str:
        return localized(language, self.name_zh, self.name_hant, self.name_en)
