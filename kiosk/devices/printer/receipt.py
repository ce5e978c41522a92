"""The device-neutral receipt and its layout to ESC/POS.

A `Receipt` holds only what goes on paper, already masked by the caller. `layout()` turns it
into lines for a given paper width (CJK counts as two columns, as the printer prints every
GB18030 character full-width in Chinese mode), and `encode_receipt()` turns those lines into
ESC/POS through python-escpos. Text is sent as GB18030 ourselves: python-escpos 3.1 only
does that for U+4E00..U+9FA5 and prints '?' for CJK punctuation such as '：'.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from kiosk.devices.base import DeviceError
from kiosk.idnumber import looks_like_id_number

ESC_INIT = b"\x1b\x40"  # ESC @
FS_CHINESE_ON = b"\x1c\x26"  # FS &: Chinese (GB18030) mode; python-escpos never sends it
GS_SIZE_NORMAL = b"\x1d\x21\x00"

# An unmasked 18-character resident ID number (the same shape kiosk.privacy.scrub masks).
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")

Align = Literal["left", "center", "right"]

_LABELS = {
    "zh-Hans": {
        "platform_ref": "受理编号",
        "local_ref": "终端流水号",
        "pending_ref": "待联网后生成",
        "terminal": "终端",
        "time": "时间",
        "reprint": "（补打凭条）",
    },
    "zh-Hant": {
        "platform_ref": "受理編號",
        "local_ref": "終端流水號",
        "pending_ref": "待連網後生成",
        "terminal": "終端",
        "time": "時間",
        "reprint": "（補打憑條）",
    },
    "en": {
        "platform_ref": "Ref. no.",
        "local_ref": "Terminal no.",
        "pending_ref": "issued when online",
        "terminal": "Terminal",
        "time": "Time",
        "reprint": "(REPRINT)",
    },
}


class ReceiptError(DeviceError):
    """The receipt itself is unfit to print (e.g. carries an unmasked ID number)."""


@dataclass(frozen=True)
class Receipt:
    """What goes on paper. Every field is already masked by the caller."""

    title: str
    terminal_name: str = ""
    terminal_id: str = ""
    local_ref: str = ""  # the terminal's own number, always present
    platform_ref: str = ""  # the platform's number; empty when accepted offline
    fields: tuple[tuple[str, str], ...] = ()  # key/value lines ("申请人", "张*")
    lines: tuple[str, ...] = ()  # free body text
    qr: str = ""  # optional QR payload (e.g. a progress-query URL)
    qr_caption: str = ""
    footer: tuple[str, ...] = ()
    issued_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S"))
    language: Literal["zh-Hans", "zh-Hant", "en"] = "zh-Hans"
    reprint: bool = False

    def __post_init__(self) -> None:
        # Accept lists from JSON or callers; keep the dataclass hashable and immutable.
        object.__setattr__(self, "fields", tuple((str(k), str(v)) for k, v in self.fields))
        object.__setattr__(self, "lines", tuple(str(x) for x in self.lines))
        footer = (self.footer,) if isinstance(self.footer, str) else self.footer
        object.__setattr__(self, "footer", tuple(str(x) for x in footer))
        if self.language not in _LABELS:
            raise ReceiptError("bad_receipt", f"unknown receipt language {self.language!r}")
        for where, text in self._texts():
            if any(looks_like_id_number(m.group()) for m in _ID18.finditer(text)):
                # Never echo the number itself: this message may reach a log.
                raise ReceiptError(
                    "unmasked_personal_data",
                    f"receipt {where} holds an unmasked ID number; mask it before printing",
                )

    def _texts(self) -> list[tuple[str, str]]:
        out = [("title", self.title), ("terminal_name", self.terminal_name)]
        out += [("local_ref", self.local_ref), ("platform_ref", self.platform_ref)]
        out += [(f"field {i}", f"{k} {v}") for i, (k, v) in enumerate(self.fields)]
        out += [(f"line {i}", x) for i, x in enumerate(self.lines)]
        out += [("qr", self.qr), ("qr_caption", self.qr_caption)]
        out += [(f"footer {i}", x) for i, x in enumerate(self.footer)]
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [list(kv) for kv in self.fields]
        data["lines"] = list(self.lines)
        data["footer"] = list(self.footer)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Receipt:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_reprint(self) -> Receipt:
        return replace(self, reprint=True)


# ---- layout -------------------------------------------------------------------------


def char_width(ch: str) -> int:
    """Columns a character takes on a Chinese-mode printer: any GB18030 multibyte is 2."""
    if ch < " ":
        return 0
    if ord(ch) < 0x80:
        return 1
    if unicodedata.combining(ch):
        return 0
    return 2


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def wrap(text: str, width: int, indent: int = 0) -> list[str]:
    """Greedy wrap by display width; ASCII words are kept whole when they fit on a line."""
    width = max(width, 2)
    out: list[str] = []
    for para in text.split("\n") or [""]:
        line, used = "", 0
        limit = width
        for ch in para:
            w = char_width(ch)
            if used + w > limit:
                cut = line.rfind(" ")
                if ch != " " and ch.isascii() and cut > 0 and line[cut + 1 :].isascii():
                    out.append(line[:cut])
                    line = " " * indent + line[cut + 1 :]
                else:
                    out.append(line.rstrip())
                    line = " " * indent
                used = text_width(line)
                if ch == " " and not line.strip():
                    continue
            line += ch
            used += w
        out.append(line.rstrip())
    return out


@dataclass(frozen=True)
class Line:
    """One laid-out line. kind: text | title | rule | qr | blank."""

    kind: str
    text: str = ""
    align: Align = "left"
    bold: bool = False


def layout(receipt: Receipt, width_chars: int) -> list[Line]:
    w = width_chars
    labels = _LABELS[receipt.language]
    out: list[Line] = []
    for part in wrap(receipt.title, w // 2):  # printed double width and height
        out.append(Line("title", part, "center", True))
    if receipt.reprint:
        out.append(Line("text", labels["reprint"], "center", True))
    for part in wrap(receipt.terminal_name, w):
        out.append(Line("text", part, "center"))
    out.append(Line("rule", "-" * w))
    for key, value in receipt.fields:
        out += _key_value(f"{key}：" if receipt.language != "en" else f"{key}: ", value, w)
    if receipt.fields and receipt.lines:
        out.append(Line("blank"))
    for text in receipt.lines:
        out += [Line("text", part) for part in wrap(text, w)]
    if receipt.qr:
        out.append(Line("blank"))
        out.append(Line("qr", receipt.qr, "center"))
        for part in wrap(receipt.qr_caption, w):
            out.append(Line("text", part, "center"))
    out.append(Line("rule", "-" * w))
    sep = "：" if receipt.language != "en" else ": "
    platform_ref = receipt.platform_ref or labels["pending_ref"]
    out += _key_value(labels["platform_ref"] + sep, platform_ref, w, bold=True)
    if receipt.local_ref:
        out += _key_value(labels["local_ref"] + sep, receipt.local_ref, w)
    if receipt.terminal_id:
        out += _key_value(labels["terminal"] + sep, receipt.terminal_id, w)
    out += _key_value(labels["time"] + sep, receipt.issued_at, w)
    if receipt.footer:
        out.append(Line("blank"))
        for text in receipt.footer:
            out += [Line("text", part, "center") for part in wrap(text, w)]
    return out


def _key_value(key: str, value: str, width: int, bold: bool = False) -> list[Line]:
    """'key：value', value wrapped under itself when the key is short, else on its own lines."""
    kw = text_width(key)
    if kw + text_width(value) <= width:
        return [Line("text", key + value, bold=bold)]
    token = value.isascii() and " " not in value
    if token and text_width(value) <= width - 2:  # a reference number: keep it whole
        return [Line("text", key, bold=bold), Line("text", "  " + value, bold=bold)]
    if kw <= width // 2:
        parts = wrap(value, width - kw)
        lines = [key + parts[0]] + [" " * kw + p for p in parts[1:]]
    else:
        lines = wrap(key, width) + wrap(value, width, indent=2)
    return [Line("text", x, bold=bold) for x in lines]


def preview_text(receipt: Receipt, width_chars: int) -> str:
    """Plain-text preview of the paper (for a screen or a log-free check)."""
    rows = []
    for line in layout(receipt, width_chars):
        if line.kind == "qr":
            text = "[QR]"
        elif line.kind == "blank":
            text = ""
        else:
            text = line.text
        width = width_chars // 2 if line.kind == "title" else width_chars
        pad = max(width - text_width(text), 0)
        if line.align == "center":
            text = " " * (pad // 2) + text
        elif line.align == "right":
            text = " " * pad + text
        rows.append(text.rstrip())
    return "\n".join(rows) + "\n"


# ---- ESC/POS --------------------------------------------------------------------------


def qr_module_size(payload: str, width_chars: int) -> int:
    """Largest QR module (dots) that keeps the code within ~60% of the paper width."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    modules = code.modules_count
    dots = width_chars * 12
    return max(2, min(8, int(dots * 0.6) // modules))


def encode_receipt(receipt: Receipt, width_chars: int, profile: str = "default") -> bytes:
    """The complete ESC/POS job for one receipt: init, Chinese mode, text, native QR, cut."""
    from escpos.printer import Dummy

    p = Dummy(profile=profile)
    p._raw(ESC_INIT + FS_CHINESE_ON)
    for line in layout(receipt, width_chars):
        _encode_line(p, line, width_chars)
    p.set(align="left")
    p.cut()
    return bytes(p.output)


def _encode_line(p: Any, line: Line, width_chars: int) -> None:
    from escpos.constants import QR_ECLEVEL_M

    if line.kind == "title":
        p.set(align="center", bold=True, custom_size=True, width=2, height=2)
        _text(p, line.text + "\n")
        # set(normal_textsize=True) only resets ESC !; GS ! needs its own reset.
        p.set(bold=False, custom_size=True, width=1, height=1)
    elif line.kind == "qr":
        p.set(align="center")
        p.qr(line.text, native=True, ec=QR_ECLEVEL_M, size=qr_module_size(line.text, width_chars))
        _text(p, "\n")
    elif line.kind == "blank":
        _text(p, "\n")
    else:
        p.set(align=line.align, bold=line.bold)
        _text(p, line.text + "\n")
        if line.bold:
            p.set(bold=False)


def _text(p: Any, text: str) -> None:
    p._raw(text.encode("gb18030", errors="replace"))


def test_page_receipt(terminal_name: str, terminal_id: str, width_chars: int) -> Receipt:
    return Receipt(
        title="打印机测试页",
        terminal_name=terminal_name,
        terminal_id=terminal_id,
        local_ref="TEST-" + time.strftime("%Y%m%d%H%M%S"),
        platform_ref="TEST",
        fields=(("纸宽", f"{width_chars} 字符"), ("编码", "GB18030 中文模式 (FS &)")),
        lines=(
            "中文：政务服务一体机 繁體：政務服務",
            "ASCII: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "=" * width_chars,
        ),
        qr="https://example.gov.cn/kiosk/test-page",
        qr_caption="扫码测试 Scan test",
        footer=("如能清楚看到以上内容，打印机工作正常",),
    )
