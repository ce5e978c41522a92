"""What goes on paper for each journey. Official paper stays Chinese; every personal field is
masked before it reaches the printer (the Receipt itself refuses an unmasked ID number)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.privacy import mask_phone
from kiosk.resident.service import Language, Service

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.devices.printer.receipt import Receipt
    from kiosk.platform.schemas import CertificateIssued
    from kiosk.resident.actions import Submission, Ticket


def application_receipt(
    submission: Submission,
    service: Service,
    answers: dict[str, str],
    config: KioskConfig,
    language: Language,
) -> Receipt:
    from kiosk.devices.printer.receipt import Receipt

    fields = [("事项", submission.service_name), ("申请人", submission.masked_name)]
    if answers.get("phone"):
        fields.append(("联系电话", mask_phone(answers["phone"])))
    lines = [f"办理时限：{service.guide.time_limit}"] if service.guide.time_limit else []
    if service.guide.collection:
        lines.append(f"领取方式：{service.guide.collection}")
    return Receipt(
        title="受理回执",
        terminal_name=config.terminal.name,
        terminal_id=config.terminal.id,
        local_ref=submission.local_ref,
        platform_ref=submission.platform_ref,
        fields=tuple(fields),
        lines=tuple(lines),
        qr=submission.reference,
        qr_caption="扫码或在“进度查询”扫描本码查看办理进度",
        footer=("请妥善保管本回执。", *_resident_note("receipt.note", language)),
        language="zh-Hans",  # official paper stays Chinese; the note is the resident's
    )


def record_receipt(record: dict[str, object], config: KioskConfig) -> Receipt:
    """A record printed on the receipt printer: one labelled block per period, so no column
    of bare numbers is left without its heading."""
    from kiosk.devices.printer.receipt import Receipt

    columns = [c for c in _list(record.get("columns")) if isinstance(c, dict)]
    lines: list[str] = []
    for row in _list(record.get("rows")):
        if not isinstance(row, dict):
            continue
        first, *rest = columns or [{}]
        lines.append(f"【{row.get(first.get('key', ''), '')}】")
        lines += [f"  {c.get('label_zh', '')}：{row.get(c.get('key', ''), '')}" for c in rest]
    summary = record.get("summary")
    number = str(record.get("certificate_no", ""))
    return Receipt(
        title=str(record.get("title_zh", "")),
        terminal_name=config.terminal.name,
        terminal_id=config.terminal.id,
        platform_ref=number,
        fields=(
            ("证明编号", number),
            ("姓名", str(record.get("masked_name", ""))),
            ("证件号码", str(record.get("masked_id_number", ""))),
            *((str(k), str(v)) for k, v in (summary.items() if isinstance(summary, dict) else [])),
        ),
        lines=tuple(lines),
        qr=number,
        qr_caption="扫码验证证明真伪",
    )


def certificate_receipt(issued: CertificateIssued, config: KioskConfig) -> Receipt:
    """The receipt-printer stand-in when the A4 printer is out: what the certificate
    certifies (masked) and the verification code and URL, so it can still be checked and the
    A4 document fetched at a counter."""
    from kiosk.devices.printer.receipt import Receipt

    return Receipt(
        title=issued.title,
        terminal_name=config.terminal.name,
        terminal_id=config.terminal.id,
        platform_ref=issued.certificate_no,
        fields=(
            ("证明编号", issued.certificate_no),
            ("证明对象", issued.certifies),
            ("出具机关", issued.authority),
            ("验证码", issued.code),
        ),  # fmt: skip
        lines=(
            "A4 打印机暂不可用：本凭条为证明摘要。",
            "凭验证码可在线核验，或到窗口打印 A4 证明。",
        ),
        qr=issued.verify_url,
        qr_caption="扫码核验证明真伪",
    )


def ticket_receipt(ticket: Ticket, config: KioskConfig, language: Language) -> Receipt:
    from kiosk.devices.printer.receipt import Receipt

    fields = [("业务", ticket.category.name_zh)]
    if ticket.counter:
        fields.append(("窗口", ticket.counter))
    if ticket.waiting_ahead >= 0:
        fields.append(("前面等候", f"{ticket.waiting_ahead} 人"))
    fields.append(("取号时间", ticket.issued_at.strftime("%Y-%m-%d %H:%M")))
    lines = [f"排队号：{ticket.number}"]
    if ticket.offline:
        lines.append("（网络中断时取号，请留意窗口叫号）")
    return Receipt(
        title="排队凭条",
        terminal_name=config.terminal.name,
        terminal_id=config.terminal.id,
        fields=tuple(fields),
        lines=tuple(lines),
        footer=("过号请重新取号。", *_resident_note("receipt.ticket_note", language)),
        language="zh-Hans",
    )


def _resident_note(key: str, language: Language) -> tuple[str, ...]:
    """One short line in the resident's own language, when it is not 简体 (e.g. English)."""
    from kiosk.i18n import t

    return () if language == "zh-Hans" else (t(key, language),)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
