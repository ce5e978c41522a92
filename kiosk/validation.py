"""Field checks that tell the resident what to fix, in plain words (headless, no Textual).

Every check takes what was entered so far and returns a `Checked`: the normalised value (what
would be stored) and at most one `Problem`, an i18n key + params rendered by `Problem.text`.
A problem marked `incomplete` only says what is still missing ("还差3位"): shown as a hint
while the resident types, as an error when they try to go on.

    check_phone("1381234")                 -> Problem "check.phone.short" n=4
                                              手机号码是11位数字，还差4位
    check_id_number("11010519491231002x")  -> ok, value "11010519491231002X"
    check_date("2026-02-30")               -> Problem "check.date.no_such_day" (2月只有28天)
    check_date(d, latest=today)            -> "check.date.future" when d is after today
    check_month("2026-13")                 -> "check.date.month"
    check_reference(" zw2026 1201 ")       -> ok, value "ZW20261201"
    check_region("440100", level="county") -> "check.region.deeper" (请继续选择到区县)
    check_bank_card, check_integer, check_amount   for the catalog's other typed fields
    check(kind, raw)                        dispatch by a form field's `type`

Dates are `datetime.date` or text such as 2026-12-01, 2026/12/1, 20261201, 2026年12月1日.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from kiosk import idnumber, regions
from kiosk.i18n import t

Param = str | int | dt.date
FieldKind = Literal[
    "phone", "id_number", "reference", "bank_card", "integer", "amount", "date", "month", "region"
]

_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def human_date(day: dt.date, language: str) -> str:
    """2026年12月1日 / 1 December 2026: how a resident reads a date (never ISO)."""
    if language == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def human_month(year: int, month: int, language: str) -> str:
    if language == "en":
        return f"{_MONTHS_EN[month - 1]} {year}"
    return f"{year}年{month}月"


@dataclass(frozen=True)
class Problem:
    key: str
    params: Mapping[str, Param] = field(default_factory=dict)
    incomplete: bool = False  # only something still missing: a hint while typing

    def text(self, language: str) -> str:
        values = {
            k: human_date(v, language) if isinstance(v, dt.date) else v
            for k, v in self.params.items()
        }
        return t(self.key, language, **values)


@dataclass(frozen=True)
class Checked:
    value: str
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _bad(value: str, key: str, incomplete: bool = False, **params: Param) -> Checked:
    return Checked(value, Problem(key, params, incomplete))


def _compact(raw: str) -> str:
    """What was typed without the blanks and dashes people put in to read it back."""
    return re.sub(r"[\s\-\u3000]", "", raw)


# --- numbers typed on the pad ------------------------------------------------------------
PHONE_LENGTH = 11


def check_phone(raw: str) -> Checked:
    """A mainland mobile number: 11 digits, 1 then 3–9."""
    value = _compact(raw)
    if not value:
        return _bad(value, "check.phone.empty", incomplete=True)
    if not (value.isdigit() and value.isascii()):
        return _bad(value, "check.phone.digits")
    if value[0] != "1":
        return _bad(value, "check.phone.first")
    if len(value) > 1 and value[1] not in "3456789":
        return _bad(value, "check.phone.second")
    if len(value) < PHONE_LENGTH:
        return _bad(value, "check.phone.short", incomplete=True, n=PHONE_LENGTH - len(value))
    if len(value) > PHONE_LENGTH:
        return _bad(value, "check.phone.long", n=len(value) - PHONE_LENGTH)
    return Checked(value)


ID_LENGTH = 18


def check_id_number(raw: str) -> Checked:
    """A GB 11643 citizen identity number: 17 digits and a MOD 11-2 check character (0–9, X).
    The first two digits must name a province; a county code may since have been abolished,
    so only the province is checked."""
    value = _compact(raw).upper()
    if not value:
        return _bad(value, "check.id.empty", incomplete=True)
    if not re.fullmatch(r"[0-9X]*", value):
        return _bad(value, "check.id.chars")
    if "X" in value[: min(len(value), ID_LENGTH - 1)]:
        return _bad(value, "check.id.x_position")
    if len(value) >= 2 and regions.get(value[:2] + "0000") is None:
        return _bad(value, "check.id.province")
    if len(value) >= 14 and not _born_ok(value[6:14]):
        return _bad(value, "check.id.birth")
    if len(value) < ID_LENGTH:
        return _bad(value, "check.id.short", incomplete=True, n=ID_LENGTH - len(value))
    if len(value) > ID_LENGTH:
        return _bad(value, "check.id.long", n=len(value) - ID_LENGTH)
    if not idnumber.is_valid(value):
        return _bad(value, "check.id.check_digit")
    return Checked(value)


def _born_ok(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return born.year >= 1900 and born <= dt.date.today()


def check_reference(
    raw: str,
    *,
    prefix: str = "",
    length: int | None = None,
    min_length: int = 6,
    max_length: int = 64,
) -> Checked:
    """A receipt or certificate number as printed: letters, digits and '-'; lower case and
    blanks are accepted and normalised (zw 2026… → ZW2026…)."""
    value = re.sub(r"[\s\u3000]", "", raw).upper()
    if not value:
        return _bad(value, "check.ref.empty", incomplete=True)
    if not re.fullmatch(r"[A-Z0-9-]+", value):
        return _bad(value, "check.ref.chars")
    head = value[: len(prefix)]
    if prefix and head != prefix[: len(head)]:
        return _bad(value, "check.ref.prefix", prefix=prefix)
    low, high = (length, length) if length is not None else (min_length, max_length)
    if len(value) < low:
        key = "check.ref.short_exact" if length is not None else "check.ref.short"
        return _bad(value, key, incomplete=True, n=low - len(value), length=low)
    if len(value) > high:
        return _bad(value, "check.ref.long", n=len(value) - high, length=high)
    return Checked(value)


def check_bank_card(raw: str) -> Checked:
    """A bank card number (PAN) as banks in China issue them: 16 to 19 digits."""
    value = _compact(raw)
    if not value:
        return _bad(value, "check.bank.empty", incomplete=True)
    if not (value.isdigit() and value.isascii()):
        return _bad(value, "check.bank.digits")
    if len(value) < 16:
        return _bad(value, "check.bank.short", incomplete=True, n=16 - len(value))
    if len(value) > 19:
        return _bad(value, "check.bank.long", n=len(value) - 19)
    return Checked(value)


def check_integer(raw: str, *, minimum: int | None = None, maximum: int | None = None) -> Checked:
    """A whole number such as a year or a household size."""
    value = _compact(raw)
    if not value:
        return _bad(value, "check.number.empty", incomplete=True)
    if not (value.isdigit() and value.isascii()):
        return _bad(value, "check.number.digits")
    value = str(int(value))  # 007 → 7
    if minimum is not None and int(value) < minimum:
        # a number still being typed may grow into range (2 → 2026): incomplete, not wrong
        grows = maximum is None or len(value) < len(str(maximum))
        return _bad(value, "check.number.too_small", incomplete=grows, min=minimum)
    if maximum is not None and int(value) > maximum:
        return _bad(value, "check.number.too_big", max=maximum)
    return Checked(value)


def check_amount(raw: str, *, maximum: int | None = None) -> Checked:
    """An amount in yuan with at most two decimals (1 234.5 → 1234.50)."""
    value = _compact(raw).replace(",", "").replace("，", "")
    if not value:
        return _bad(value, "check.amount.empty", incomplete=True)
    match = re.fullmatch(r"(\d*)(?:\.(\d*))?", value)
    if match is None or not value.isascii():
        return _bad(value, "check.amount.format")
    whole, cents = match.group(1), match.group(2)
    if cents is not None and len(cents) > 2:
        return _bad(value, "check.amount.decimals")
    if not whole:
        return _bad(value, "check.amount.format")
    amount = int(whole) * 100 + int((cents or "").ljust(2, "0"))
    if amount == 0:
        return _bad(value, "check.amount.zero")
    if maximum is not None and amount > maximum * 100:
        return _bad(value, "check.amount.too_big", max=maximum)
    return Checked(f"{amount // 100}.{amount % 100:02d}")


# --- dates -------------------------------------------------------------------------------
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")


def _parts(raw: str | dt.date, pattern: re.Pattern[str], compact: int) -> tuple[int, ...] | None:
    if isinstance(raw, dt.date):
        return (raw.year, raw.month, raw.day)[: 3 if compact == 8 else 2]
    text = raw.strip()
    if text.isdigit() and len(text) == compact:  # 20261201 / 202612
        return tuple(int(text[i : i + n]) for i, n in ((0, 4), (4, 2), (6, 2)) if i < compact)
    match = pattern.fullmatch(text)
    return None if match is None else tuple(int(g) for g in match.groups())


def _within(
    value: str, day: dt.date, earliest: dt.date | None, latest: dt.date | None, today: dt.date
) -> Checked:
    if latest is not None and day > latest:
        return _bad(value, "check.date.future" if latest == today else "check.date.too_late",
                    date=latest)  # fmt: skip
    if earliest is not None and day < earliest:
        return _bad(value, "check.date.past" if earliest == today else "check.date.too_early",
                    date=earliest)  # fmt: skip
    return Checked(value)


def check_date(
    raw: str | dt.date,
    *,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    today: dt.date | None = None,
) -> Checked:
    """A real calendar date within [earliest, latest]; value in ISO form (2026-12-01).
    Pass latest=today for "not in the future", earliest=today for appointments."""
    today = today or dt.date.today()
    if isinstance(raw, str) and not raw.strip():
        return _bad("", "check.date.empty", incomplete=True)
    parts = _parts(raw, _DATE, 8)
    if parts is None or len(parts) != 3:
        return _bad(str(raw).strip(), "check.date.format", example=today.isoformat())
    year, month, day = parts
    if not 1 <= month <= 12:
        return _bad(str(raw).strip(), "check.date.month")
    try:
        when = dt.date(year, month, day)
    except ValueError:
        days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return _bad(str(raw).strip(), "check.date.no_such_day", year=year, month=month, days=days)
    return _within(when.isoformat(), when, earliest, latest, today)


def check_month(
    raw: str | dt.date,
    *,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    today: dt.date | None = None,
) -> Checked:
    """A year and month (参保起始年月); value "2026-12". Bounds compare whole months."""
    today = today or dt.date.today()
    if isinstance(raw, str) and not raw.strip():
        return _bad("", "check.date.empty", incomplete=True)
    parts = _parts(raw, _MONTH, 6)
    if parts is None or len(parts) != 2:
        return _bad(str(raw).strip(), "check.month.format")
    year, month = parts
    if not 1 <= month <= 12:
        return _bad(str(raw).strip(), "check.date.month")
    value, this = f"{year:04d}-{month:02d}", (year, month)
    now = (today.year, today.month)
    if latest is not None and this > (latest.year, latest.month):
        if (latest.year, latest.month) == now:
            return _bad(value, "check.month.future")
        return _bad(value, "check.month.too_late", year=latest.year, month=latest.month)
    if earliest is not None and this < (earliest.year, earliest.month):
        if (earliest.year, earliest.month) == now:
            return _bad(value, "check.month.past")
        return _bad(value, "check.month.too_early", year=earliest.year, month=earliest.month)
    return Checked(value)


# --- places ------------------------------------------------------------------------------
def check_region(raw: str, *, level: regions.Level = "county") -> Checked:
    """A GB/T 2260 code chosen down to `level` (a division with nothing below it is enough)."""
    value = raw.strip()
    if not value:
        return _bad(value, "check.region.empty", incomplete=True)
    region = regions.get(value) if re.fullmatch(r"\d{6}", value) else None
    if region is None:
        return _bad(value, "check.region.unknown")
    if not regions.chosen_down_to(value, level):
        key = "check.region.city" if level == "city" else "check.region.county"
        return _bad(value, key, incomplete=True)
    return Checked(value)


def check(kind: FieldKind, raw: str) -> Checked:
    """Dispatch by a catalog form field's type, with the default bounds of each."""
    if kind == "phone":
        return check_phone(raw)
    if kind == "id_number":
        return check_id_number(raw)
    if kind == "reference":
        return check_reference(raw)
    if kind == "bank_card":
        return check_bank_card(raw)
    if kind == "integer":
        return check_integer(raw)
    if kind == "amount":
        return check_amount(raw)
    if kind == "date":
        return check_date(raw)
    if kind == "month":
        return check_month(raw)
    return check_region(raw)
