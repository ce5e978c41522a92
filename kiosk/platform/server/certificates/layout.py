"""The certificate as an A4 page, drawn with reportlab.

Header with the certificate number, title, the holder's (masked) identity, the certifying
sentence, the table (its header repeated on every page), a summary, then the issuing
authority and date under the red seal, and the QR code of the verification URL. Every page
carries a light diagonal watermark and a footer with the verification code and page count,
so a single page torn from the document still says where to check it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kiosk.platform.server.certificates.content import CertificateContent

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
SEAL_RED = colors.Color(0.84, 0.05, 0.05)
INK = colors.Color(0.1, 0.1, 0.12)
RULE = colors.Color(0.55, 0.55, 0.6)
HEADER_FILL = colors.Color(0.92, 0.93, 0.96)
MARGIN = 20 * mm


@dataclass(frozen=True)
class Issue:
    """What the platform adds to the content when it issues: number, code, URL, time."""

    certificate_no: str
    code: str
    verify_url: str
    issued_at_text: str  # e.g. 2026年12月1日 14:21


def _font() -> str:
    """An embedded CJK TrueType font when installed (text extracts back as Unicode and looks
    the same on every viewer and printer); otherwise reportlab's built-in STSong CID font."""
    if "KioskCJK" in pdfmetrics.getRegisteredFontNames():
        return "KioskCJK"
    if FONT_FILE.exists():
        pdfmetrics.registerFont(TTFont("KioskCJK", str(FONT_FILE), subfontIndex=0))
        return "KioskCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def render_pdf(content: CertificateContent, issue: Issue) -> bytes:
    font = _font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 8 * mm,
        bottomMargin=MARGIN + 6 * mm,
        title=f"{content.title} {issue.certificate_no}",
        author=content.authority,
        subject=f"验证码 {issue.code}",
        creator="kiosk reference platform",
    )
    styles = _styles(font)
    story: list[Flowable] = [
        Paragraph(content.title, styles["title"]),
        Paragraph(content.title_en, styles["subtitle"]),
        Spacer(1, 5 * mm),
        _holder_table(content, font),
        Spacer(1, 5 * mm),
        Paragraph(content.statement, styles["body"]),
        Spacer(1, 3 * mm),
    ]
    if content.table is not None:
        story.append(_data_table(content, font))
    else:
        story.append(Paragraph("（无记录）", styles["body"]))
    # The summary, notes and seal stay on one page: a seal alone on a last page certifies
    # nothing a reader can see.
    closing: list[Flowable] = []
    if content.summary:
        closing += [Spacer(1, 4 * mm), _summary_table(content, font)]
    for note in content.notes:
        closing.append(Paragraph("注：" + note, styles["note"]))
    closing += [Spacer(1, 6 * mm), SignatureBlock(content, issue, font)]
    story.append(KeepTogether(closing))

    def on_page(canvas: Canvas, _doc: object) -> None:
        _decorate(canvas, content, issue, font)

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=_counting(font, issue))
    return out.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("t", fontName=font, fontSize=22, leading=30, alignment=TA_CENTER,
                                textColor=INK, spaceAfter=2),
        "subtitle": ParagraphStyle("s", fontName=font, fontSize=9, leading=12,
                                   alignment=TA_CENTER, textColor=RULE),
        "body": ParagraphStyle("b", fontName=font, fontSize=11.5, leading=19, textColor=INK,
                               firstLineIndent=23, wordWrap="CJK"),
        "note": ParagraphStyle("n", fontName=font, fontSize=9, leading=14, textColor=INK,
                               wordWrap="CJK"),
        "cell": ParagraphStyle("c", fontName=font, fontSize=9.5, leading=12.5, textColor=INK,
                               wordWrap="CJK"),
    }  # fmt: skip


def _holder_table(content: CertificateContent, font: str) -> Table:
    cells: list[str] = []
    for label, value in content.holder:
        cells += [label, value]
    width = A4[0] - 2 * MARGIN
    # Room for each cell by its display width (a hanzi is two columns, a digit one).
    cols = [_display_width(text) + 4 for text in cells]
    widths = [width * n / sum(cols) for n in cols]
    table = Table([cells], colWidths=widths, rowHeights=[9 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 10.5),
                ("GRID", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (0, 0), HEADER_FILL),
                ("BACKGROUND", (2, 0), (2, 0), HEADER_FILL),
                ("BACKGROUND", (4, 0), (4, 0), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    return table


def _data_table(content: CertificateContent, font: str) -> Table:
    assert content.table is not None
    data = content.table
    style = _styles(font)["cell"]
    header = [Paragraph(f"<b>{c}</b>", style) for c in data.columns]
    rows = [header] + [[Paragraph(v, style) for v in row] for row in data.rows]
    width = A4[0] - 2 * MARGIN
    # Text columns (employer, address) get the room; numbers and months keep a fixed width.
    lengths = [
        min(max([_display_width(c)] + [_display_width(r[i]) for r in data.rows]), 30) + 3
        for i, c in enumerate(data.columns)
    ]
    widths = [width * n / sum(lengths) for n in lengths]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table_style = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])  # fmt: skip
    for i in data.numeric:
        table_style.add("ALIGN", (i, 1), (i, -1), "RIGHT")
    table.setStyle(table_style)
    for i in data.numeric:  # Paragraphs ignore the cell ALIGN: right-align their style
        for row in rows[1:]:
            para = row[i]
            para.style = ParagraphStyle("r", parent=style, alignment=2)
    return table


def _summary_table(content: CertificateContent, font: str) -> Table:
    table = Table([[k, v] for k, v in content.summary], colWidths=[40 * mm, 80 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 10.5),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
            ]
        )
    )
    return table


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


class SignatureBlock(Flowable):
    """QR code at the left; authority and date at the right with the seal stamped over them."""

    HEIGHT = 48 * mm

    def __init__(self, content: CertificateContent, issue: Issue, font: str) -> None:
        super().__init__()
        self.content, self.issue, self.font = content, issue, font

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.HEIGHT

    def draw(self) -> None:
        c = self.canv
        qr_size = 34 * mm
        widget = QrCodeWidget(self.issue.verify_url, barLevel="M")
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0,
                                                       qr_size / (y1 - y0), 0, 0])  # fmt: skip
        drawing.add(widget)
        drawing.drawOn(c, 0, self.HEIGHT - qr_size - 2 * mm)
        c.setFont(self.font, 8)
        c.setFillColor(INK)
        c.drawString(0, self.HEIGHT - qr_size - 7 * mm, "扫码或登录验证网址核验真伪")
        c.drawString(0, self.HEIGHT - qr_size - 11 * mm, f"验证码 {self.issue.code}")
        right = self.width
        c.setFont(self.font, 12)
        c.drawRightString(right - 4 * mm, 22 * mm, self.content.authority)
        c.drawRightString(right - 4 * mm, 14 * mm, self.issue.issued_at_text)
        centre_x = (
            right - 4 * mm - pdfmetrics.stringWidth(self.content.authority, self.font, 12) / 2
        )
        draw_seal(c, centre_x, 22 * mm, 21 * mm, self.content.authority,
                  self.content.seal_label, self.font)  # fmt: skip


def draw_seal(
    c: Canvas, cx: float, cy: float, radius: float, ring_text: str, label: str, font: str
) -> None:
    """A round official seal: double red ring, the authority's name along the upper arc,
    a five-pointed star in the middle and the seal's purpose across the lower half."""
    c.saveState()
    c.setFillAlpha(0.82)
    c.setStrokeAlpha(0.82)
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(2.6)
    c.circle(cx, cy, radius, stroke=1, fill=0)
    c.setLineWidth(0.6)
    c.circle(cx, cy, radius - 2.6, stroke=1, fill=0)
    # Star
    star_r = radius * 0.26
    points = []
    for i in range(10):
        r = star_r if i % 2 == 0 else star_r * 0.4
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    path = c.beginPath()
    path.moveTo(*points[0])
    for p in points[1:]:
        path.lineTo(*p)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
    # Name along the upper arc, each character upright to the centre, spaced so they never
    # touch: the arc per character is at least the character's size.
    n = max(len(ring_text), 1)
    span = math.radians(min(220, 26 * n))
    step = span / max(n - 1, 1)
    size = radius * 0.26
    for _ in range(3):  # the radius the text sits on depends on its size
        text_r = radius - 4.5 - size * 0.8
        size = min(radius * 0.26, text_r * step * 0.92)
    text_r = radius - 4.5 - size * 0.8
    start = math.pi / 2 + span / 2
    c.setFont(font, size)
    for i, ch in enumerate(ring_text):
        angle = start - i * step
        c.saveState()
        c.translate(cx + text_r * math.cos(angle), cy + text_r * math.sin(angle))
        c.rotate(math.degrees(angle) - 90)
        c.drawCentredString(0, -size * 0.35, ch)
        c.restoreState()
    label_size = min(radius * 0.2, 2 * radius * 0.8 / max(len(label), 1))
    c.setFont(font, label_size)
    c.drawCentredString(cx, cy - radius * 0.55, label)
    c.restoreState()


def _decorate(canvas: Canvas, content: CertificateContent, issue: Issue, font: str) -> None:
    width, height = A4
    canvas.saveState()
    # Watermark: the issuing platform's name, light and diagonal, under everything.
    canvas.setFillColor(colors.Color(0.6, 0.65, 0.75))
    canvas.setFillAlpha(0.07)
    canvas.setFont(font, 24)
    for row in range(0, 5):
        for col in range(0, 2):
            canvas.saveState()
            canvas.translate(col * 300 + (row % 2) * 100 + 20, row * 190 + 60)
            canvas.rotate(30)
            canvas.drawString(0, 0, "示例市政务服务 电子证明")
            canvas.restoreState()
    canvas.restoreState()
    canvas.saveState()
    canvas.setFont(font, 9)
    canvas.setFillColor(INK)
    top = height - MARGIN + 2 * mm
    canvas.drawString(MARGIN, top, f"{content.authority} · 政务服务自助终端打印")
    canvas.drawRightString(width - MARGIN, top, f"证明编号：{issue.certificate_no}")
    canvas.setStrokeColor(SEAL_RED)
    canvas.setLineWidth(1.2)
    canvas.line(MARGIN, top - 3 * mm, width - MARGIN, top - 3 * mm)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, MARGIN + 2 * mm, width - MARGIN, MARGIN + 2 * mm)
    canvas.drawString(MARGIN, MARGIN - 2 * mm, f"验证码 {issue.code} · 验证网址 {issue.verify_url}")
    canvas.restoreState()


def _counting(font: str, issue: Issue) -> type[Canvas]:
    """A canvas that holds pages back until the end so each footer can say 第 n 页 共 m 页."""

    class CountingCanvas(Canvas):
        _startPage: Callable[[], None]  # reportlab's own, which its type stubs leave out

        def __init__(self, *args: Any, **kwargs: Any) -> None:  # reportlab's own arguments
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, object]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self.setFont(font, 9)
                self.setFillColor(INK)
                self.drawRightString(
                    A4[0] - MARGIN, MARGIN - 2 * mm, f"第 {number} 页 共 {total} 页"
                )
                super().showPage()
            super().save()

    return CountingCanvas
