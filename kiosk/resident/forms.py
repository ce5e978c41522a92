"""The form of a service: which answers are missing or wrong (in plain words, as i18n keys),
what the review page shows (masked), and what goes to the platform."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.privacy import mask_id_number, mask_name, mask_phone
from kiosk.resident.identity import Identity, card_fields
from kiosk.resident.service import FormField, InputKind, Language, Service


@dataclass(frozen=True)
class Problem:
    key: str  # i18n key, e.g. form.err.phone_short
    params: tuple[tuple[str, str], ...] = ()

    @property
    def values(self) -> dict[str, str]:
        return dict(self.params)


def check(field: FormField, value: str) -> Problem | None:
    """What is wrong with one answer, or None. Empty optional answers are fine."""
    value = value.strip()
    if not value:
        return Problem("form.err.required") if field.required else None
    kind = field.input_kind
    if kind is InputKind.PHONE:
        if not value.isdigit():
            return Problem("form.err.digits_only")
        if len(value) != 11:
            return Problem("form.err.phone_length", (("n", str(len(value))),))
        if not value.startswith("1") or value[1] not in "3456789":
            return Problem("form.err.phone_prefix")
    elif kind is InputKind.ID_NUMBER:
        from kiosk.idnumber import is_valid

        if len(value) != 18:
            return Problem("form.err.id_length", (("n", str(len(value))),))
        if not is_valid(value):
            return Problem("form.err.id_check")
    elif kind is InputKind.DIGITS and not value.isdigit():
        return Problem("form.err.digits_only")
    elif kind is InputKind.DATE:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return Problem("form.err.date")
    elif kind is InputKind.CHOICE and field.options and value not in {o.value for o in field.options}:
        return Problem("form.err.required")
    if len(value) > field.max_length:
        return Problem("form.err.too_long", (("n", str(field.max_length)),))
    return None


def problems(service: Service, answers: dict[str, str]) -> dict[str, Problem]:
    """Every resident field still missing or malformed, by field name."""
    found: dict[str, Problem] = {}
    for f in service.resident_fields:
        problem = check(f, answers.get(f.name, ""))
        if problem is not None:
            found[f.name] = problem
    return found


def answers_for(service: Service, answers: dict[str, str]) -> dict[str, str]:
    """The answers that belong to this service's form (nothing left over from another)."""
    names = {f.name for f in service.resident_fields}
    return {k: v.strip() for k, v in answers.items() if k in names and v.strip()}


def shown_value(field: FormField, value: str, language: Language) -> str:
    """How an answer is shown on screen and on the review page: masked where personal."""
    if not value:
        return ""
    kind = field.input_kind
    if kind is InputKind.CHOICE:
        return field.option_label(value, language)
    if kind is InputKind.PHONE:
        return mask_phone(value)
    if kind is InputKind.ID_NUMBER or field.name == "id_number":
        return mask_id_number(value)
    if field.name.endswith("name") and not field.name.endswith("_no"):
        return mask_name(value)
    if field.name == "bank_card":
        from kiosk.privacy import mask_card_number

        return mask_card_number(value)
    if field.from_card and field.name == "address":
        return value[:6] + "…" if len(value) > 6 else value
    return value


@dataclass(frozen=True)
class ReviewRow:
    name: str
    label: str
    shown: str
    editable: bool  # False: from the card, cannot be changed here


def review_rows(
    service: Service, identity: Identity | None, answers: dict[str, str], language: Language
) -> list[ReviewRow]:
    card = card_fields(identity)
    rows = []
    for f in service.form:
        value = card.get(f.name, "") if f.from_card else answers.get(f.name, "")
        shown = shown_value(f, value, language) if value else "—"
        rows.append(ReviewRow(f.name, f.label(language), shown, editable=not f.from_card))
    return rows
