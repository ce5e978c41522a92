"""The form of a service: which answers are missing or wrong (in plain words, as i18n keys),
what the review page shows (masked), and what goes to the platform."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk import regions
from kiosk import validation as v
from kiosk.privacy import mask_card_number, mask_id_number, mask_name, mask_phone
from kiosk.resident.identity import Identity, card_fields
from kiosk.resident.service import FormField, InputKind, Language, Service
from kiosk.validation import Checked, Problem

# Date fields: which may not lie in the future (births) and which not in the past
# (appointments); by the field's name in the demo catalog.
_PAST_DATES = ("birth",)
_FUTURE_DATES = ("date", "start_date")


def date_bounds(field: FormField) -> tuple[dt.date | None, dt.date | None]:
    """(earliest, latest) a date field accepts: births not in the future, appointments not
    in the past; the picker and the check use the same bounds."""
    today = dt.date.today()
    if field.name.endswith("month") or any(part in field.name for part in _PAST_DATES):
        return None, today
    if field.name in _FUTURE_DATES:
        return today, None
    return None, None


def check(field: FormField, value: str) -> Checked:
    """One answer checked the way its input kind asks; the value normalised for storage."""
    if not value.strip():
        if field.required:
            return Checked("", Problem("form.err.required", incomplete=True))
        return Checked("")
    kind = field.input_kind
    today = dt.date.today()
    if kind in (InputKind.PHONE, InputKind.ID_NUMBER, InputKind.DIGITS):
        number = field.number_kind
        if number == "phone":
            return v.check_phone(value)
        if number == "id_number":
            return v.check_id_number(value)
        if number == "bank_card":
            return v.check_bank_card(value)
        if number == "amount":
            return v.check_amount(value)
        if number == "integer" and field.name.startswith("year"):
            return v.check_integer(value, minimum=1950, maximum=today.year)
        if number == "integer":  # household_size
            return v.check_integer(value, minimum=1, maximum=30)
        return v.check_reference(value, min_length=4)
    if kind is InputKind.CODE:
        return v.check_reference(value, min_length=4)
    if kind is InputKind.DATE:
        earliest, latest = date_bounds(field)
        if field.name.endswith("month"):
            return v.check_month(value, earliest=earliest, latest=latest)
        return v.check_date(value, earliest=earliest, latest=latest)
    if kind is InputKind.REGION:
        return v.check_region(value, level=field.region_level)
    if kind is InputKind.CHOICE and value not in {o.value for o in field.options}:
        return Checked("", Problem("form.err.required", incomplete=True))
    value = value.strip()
    if len(value) > field.max_length:
        return Checked(value, Problem("form.err.too_long", {"n": field.max_length}))
    return Checked(value)


def problems(service: Service, answers: dict[str, str]) -> dict[str, Problem]:
    """Every resident field still missing or malformed, by field name."""
    found: dict[str, Problem] = {}
    for f in service.resident_fields:
        problem = check(f, answers.get(f.name, "")).problem
        if problem is not None:
            found[f.name] = problem
    return found


def answers_for(service: Service, answers: dict[str, str]) -> dict[str, str]:
    """The answers that belong to this service's form (nothing left over from another)."""
    names = {f.name for f in service.resident_fields}
    return {k: a.strip() for k, a in answers.items() if k in names and a.strip()}


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
        return mask_card_number(value)
    if kind is InputKind.REGION:
        return regions.full_name(value) if regions.get(value) else value
    if kind is InputKind.DATE and len(value) == 10:
        try:
            return v.human_date(dt.date.fromisoformat(value), language)
        except ValueError:
            return value
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
