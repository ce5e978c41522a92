"""Resident-facing text in 简体中文, 繁體中文 and English, from kiosk/locales/*.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
DEFAULT_LANGUAGE = "zh-Hans"
# Shown on the language switch in each language's own script.
LANGUAGE_LABELS = {"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}
_DIR = Path(__file__).parent / "locales"


@cache
def catalog(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    with open(_DIR / f"{language}.toml", "rb") as f:
        return tomllib.load(f)


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for `key` in `language`; falls back to 简体中文, then to the key itself."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
