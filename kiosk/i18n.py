"""Resident-facing text in 简体中文, 繁體中文 and English, from kiosk/locales/*.toml.

zh-Hant.toml is the reviewed 繁體 of the default variant (zh-TW). A terminal configured for
zh-HK (`ui.traditional_variant`) derives its 繁體 from the 简体 text through OpenCC's Hong
Kong tables and the hand-fixed terms (kiosk/hant.py), so there is one file less to keep.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from kiosk.hant import DEFAULT_VARIANT, VARIANTS, Variant, to_hant

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
DEFAULT_LANGUAGE = "zh-Hans"
# Shown on the language switch in each language's own script.
LANGUAGE_LABELS = {"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}
_DIR = Path(__file__).parent / "locales"
_variant: Variant = DEFAULT_VARIANT


def configure(variant: Variant) -> None:
    """Choose the terminal's 繁體 variant (zh-TW or zh-HK), from the config at start."""
    global _variant
    if variant not in VARIANTS:
        raise ValueError(f"unknown 繁體 variant {variant!r}")
    _variant = variant


def variant() -> Variant:
    return _variant


@cache
def _load(language: str) -> dict[str, str]:
    with open(_DIR / f"{language}.toml", "rb") as f:
        return tomllib.load(f)


@cache
def _derived(variant: Variant) -> dict[str, str]:
    return {key: to_hant(text, variant) for key, text in _load("zh-Hans").items()}


def catalog(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if language == "zh-Hant" and _variant != DEFAULT_VARIANT:
        return _derived(_variant)
    return _load(language)


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for `key` in `language`; falls back to 简体中文, then to the key itself."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
