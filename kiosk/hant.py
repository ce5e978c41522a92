"""简体 → 繁體 for resident-facing text, through OpenCC plus a small table of hand-fixed terms.

The variant is the terminal's (config `ui.traditional_variant`): zh-TW (Taiwan standard with
Taiwan phrases, OpenCC `s2twp`) by default, zh-HK (Hong Kong forms, `s2hk`) for terminals in
粤港澳. OpenCC's phrase tables are made for software text; government service words need a few
fixes (a 窗口 is a service counter, not a computer 視窗; 文件 are papers, not 檔案). Those
terms are protected: they are replaced as a whole and OpenCC never sees them, which keeps the
conversion idempotent, so `needs_conversion` can check any 繁體 text on screen.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Literal

Variant = Literal["zh-TW", "zh-HK"]
VARIANTS: tuple[Variant, ...] = ("zh-TW", "zh-HK")
DEFAULT_VARIANT: Variant = "zh-TW"
_CONFIGS: dict[Variant, str] = {"zh-TW": "s2twp", "zh-HK": "s2hk"}

# 简体 term -> (zh-TW, zh-HK). Only where OpenCC's phrase tables are wrong for a service hall.
TERMS: dict[str, tuple[str, str]] = {
    "窗口": ("窗口", "窗口"),  # the service counter (s2twp: 視窗, a computer window)
    "文件": ("文件", "文件"),  # papers to bring (s2twp: 檔案, a computer file)
    "视频": ("視訊", "視像"),  # video help (s2twp: 影片, a film)
    "程序": ("程序", "程序"),  # a procedure (s2twp: 程式, a program)
    "质量": ("品質", "質素"),
    "台湾": ("臺灣", "台灣"),
    "代码": ("代碼", "代碼"),  # a code number (s2twp: 程式碼, source code)
}


@cache
def _converter(variant: Variant) -> _Converter:
    return _Converter(variant)


class _Converter:
    def __init__(self, variant: Variant) -> None:
        import opencc  # a C extension: loaded on first use, not at startup

        # Without the "tofu risk" tables OpenCC only picks characters common fonts have.
        self._opencc = opencc.OpenCC(_CONFIGS[variant], include_tofu_risk_dictionaries=False)
        self._index = VARIANTS.index(variant)
        self._lock = threading.Lock()  # one OpenCC instance is not documented as thread-safe
        # Protected spans: the 简体 terms and their own 繁體 forms (so text already converted
        # passes through unchanged), longest first.
        fixed = {term: forms[self._index] for term, forms in TERMS.items()}
        fixed.update({form: form for form in fixed.values()})
        self._fixed = fixed
        self._pattern = re.compile("|".join(sorted(map(re.escape, fixed), key=len, reverse=True)))

    def convert(self, text: str) -> str:
        out: list[str] = []
        start = 0
        with self._lock:
            for match in self._pattern.finditer(text):
                out.append(self._opencc.convert(text[start : match.start()]))
                out.append(self._fixed[match.group()])
                start = match.end()
            out.append(self._opencc.convert(text[start:]))
        return "".join(out)


def to_hant(text: str, variant: Variant = DEFAULT_VARIANT) -> str:
    """`text` (简体, or already 繁體) in the 繁體 of `variant`."""
    if not text or text.isascii():
        return text
    return _converter(variant).convert(text)


def needs_conversion(text: str, variant: Variant = DEFAULT_VARIANT) -> list[str]:
    """The characters of `text` that OpenCC (with the hand-fixed terms) would still change:
    empty for proper 繁體 of that variant."""
    converted = to_hant(text, variant)
    if converted == text:
        return []
    if len(converted) != len(text):  # a phrase of another length: report the whole text
        return [text]
    return sorted({a for a, b in zip(text, converted, strict=True) if a != b})
