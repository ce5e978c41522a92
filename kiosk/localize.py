"""A catalog entry in the resident's language: `localize(service, language)`.

The catalog carries 简体 (`name_zh`, `guide`, `label_zh`) and English (`name_en`,
`guide_en`, `label_en`); 繁體 is made here through OpenCC (kiosk/hant.py) unless the catalog
gives a hand-written `name_zh_hant` / `label_zh_hant`. An older catalog without an English
guide falls back to the Chinese one rather than to nothing. Headless: no Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kiosk.hant import Variant, to_hant
from kiosk.i18n import variant as configured_variant

Json = Mapping[str, object]


@dataclass(frozen=True)
class LocalOption:
    value: str
    label: str


@dataclass(frozen=True)
class LocalField:
    name: str
    label: str
    type: str
    required: bool
    from_card: bool
    options: tuple[LocalOption, ...]


@dataclass(frozen=True)
class LocalGuide:
    conditions: tuple[str, ...]
    materials: tuple[str, ...]
    time_limit: str
    fee: str
    collection: str


@dataclass(frozen=True)
class LocalService:
    code: str
    category: str
    name: str
    guide: LocalGuide
    form: tuple[LocalField, ...]


@dataclass(frozen=True)
class LocalCategory:
    code: str
    name: str


def _str(obj: Json, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _maps(value: object) -> list[Json]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def text(obj: Json, stem: str, language: str, variant: Variant | None = None) -> str:
    """`<stem>_zh` / `<stem>_en` / `<stem>_zh_hant` of `obj` in `language`."""
    zh = _str(obj, f"{stem}_zh")
    if language == "en":
        return _str(obj, f"{stem}_en") or zh
    if language == "zh-Hant":
        return _str(obj, f"{stem}_zh_hant") or to_hant(zh, variant or configured_variant())
    return zh


def _guide(raw: object, convert: bool, variant: Variant) -> LocalGuide:
    guide: Json = raw if isinstance(raw, Mapping) else {}

    def one(value: object) -> str:
        s = value if isinstance(value, str) else ""
        return to_hant(s, variant) if convert else s

    def many(value: object) -> tuple[str, ...]:
        items: Sequence[object] = value if isinstance(value, list) else []
        return tuple(one(v) for v in items if isinstance(v, str))

    return LocalGuide(
        conditions=many(guide.get("conditions")),
        materials=many(guide.get("materials")),
        time_limit=one(guide.get("time_limit")),
        fee=one(guide.get("fee")),
        collection=one(guide.get("collection")),
    )


def localize(service: Json, language: str, variant: Variant | None = None) -> LocalService:
    """The resident-facing texts of a catalog service in `language` (zh-Hans, zh-Hant, en)."""
    variant = variant or configured_variant()
    english_guide = service.get("guide_en")
    if language == "en" and isinstance(english_guide, Mapping):
        guide = _guide(english_guide, False, variant)
    else:
        guide = _guide(service.get("guide"), language == "zh-Hant", variant)
    form = tuple(
        LocalField(
            name=_str(f, "name"),
            label=text(f, "label", language, variant),
            type=_str(f, "type") or "text",
            required=f.get("required") is not False,
            from_card=f.get("source") == "idcard",
            options=tuple(
                LocalOption(_str(o, "value"), text(o, "label", language, variant))
                for o in _maps(f.get("options"))
            ),
        )
        for f in _maps(service.get("form"))
    )
    return LocalService(
        code=_str(service, "code"),
        category=_str(service, "category"),
        name=text(service, "name", language, variant),
        guide=guide,
        form=form,
    )


def localize_category(category: Json, language: str, variant: Variant | None = None) -> LocalCategory:
    return LocalCategory(_str(category, "code"), text(category, "name", language, variant))
