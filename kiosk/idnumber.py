"""GB 11643 citizen identity numbers: the check digit (ISO 7064 MOD 11-2) and what a
person's number looks like. Shared by the card readers, the receipt guard and the platform.

Also used by the 2023 foreign permanent resident card and the residence permits.
"""

from __future__ import annotations

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CODES = "10X98765432"  # indexed by the weighted sum mod 11


def check_digit(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("need the first 17 digits")
    return _CODES[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid(number: str) -> bool:
    """True for an 18-character number whose last character is its MOD 11-2 check digit."""
    number = number.strip()
    if len(number) != 18 or not number[:17].isdigit() or not number.isascii():
        return False
    return check_digit(number[:17]) == number[17].upper()


def with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


def looks_like_id_number(number: str) -> bool:
    """A valid check digit and a plausible birth date: what a person's ID number looks like,
    as opposed to any 18-digit reference (a certificate number, an order number)."""
    import datetime

    if not is_valid(number):
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= datetime.date.today().year
