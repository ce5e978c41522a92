"""What a resident's submission is made of, apart from any screen: the outbox item, the
receipt, the rating. Screens call these; tests call them too. No Textual here."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from kiosk.privacy import mask_id_number, mask_name, mask_phone

CHANNEL = "自助终端"  # 好差评 channel for a self-service terminal

# 好差评 levels (GB/T 39046): code, zh-Hans label; levels 1-2 ask why.
RATING_LEVELS = (
    (5, "非常满意"),
    (4, "满意"),
    (3, "基本满意"),
    (2, "不满意"),
    (1, "非常不满意"),
)
RATING_NEEDS_REASON = {1, 2}
RATING_INDICATORS = ("流程繁琐", "等待时间长", "设备故障", "操作不便", "指引不清楚", "其他")


@dataclass(frozen=True)
class Submission:
    key: str
    local_ref: str
    service_code: str
    service_name: str
    masked_name: str
    platform_ref: str = ""


@dataclass(eq=False, repr=False)
class QrIdentity:
    """A resident identified by a phone QR code, as the platform vouched for them."""

    name: str
    id_number: str
    sex: str = ""
    birth_date: str = ""
    address: str = ""

    @classmethod
    def from_platform(cls, resident: dict[str, Any]) -> QrIdentity:
        return cls(
            resident["name"], resident["id_number"], resident.get("gender", ""),
            resident.get("birth_date", ""),
        )  # fmt: skip

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def wipe(self) -> None:
        self.name = self.id_number = self.sex = self.birth_date = self.address = ""

    def __repr__(self) -> str:
        return f"QrIdentity(name={self.masked_name!r}, id_number={self.masked_id_number!r})"


def identity_fields(identity: Any) -> dict[str, str]:
    """The card fields a form may take from the ID card (never typed by the resident)."""
    if identity is None:
        return {}
    # The ID card (kiosk.devices.idcard.card.IdCard) or the social security card
    # (kiosk.devices.smartcard.ssc.SocialSecurityCard): the fields they share.
    return {
        "name": identity.name or getattr(identity, "name_en", ""),
        "id_number": identity.id_number,
        "sex": getattr(identity, "sex_label", None) or getattr(identity, "sex", ""),
        "birth_date": getattr(identity, "birth_date", ""),
        "address": getattr(identity, "address", ""),
    }


def needs_identity(service: dict[str, Any]) -> bool:
    return bool(service.get("needs_verification")) or any(
        f.get("source") == "idcard" for f in service.get("form", [])
    )


def missing_answers(service: dict[str, Any], answers: dict[str, str]) -> list[str]:
    """Names of required resident-entered fields still empty or malformed."""
    missing = []
    for f in service.get("form", []):
        if f.get("source") == "idcard" or not f.get("required"):
            continue
        value = answers.get(f["name"], "").strip()
        if not value or (f.get("type") == "phone" and not (value.isdigit() and len(value) == 11)):
            missing.append(f["name"])
    return missing


def submit_application(
    outbox: Any, session: Any, service: dict[str, Any], answers: dict[str, str]
) -> Submission:
    """Queue the application durably; returns once it is on disk (the resident may be told).

    The idempotency key belongs to the session's transaction, made when the form opened, so
    pressing submit twice (or retrying after an error) never files two applications.
    """
    card = identity_fields(session.identity)
    if session.transaction_key is None:
        session.transaction_key = outbox.new_transaction_key()
    personal: dict[str, Any] = {**{k: v for k, v in card.items() if v}, **answers}
    face = session.data.get("face_jpeg")
    if face:  # verified by the platform on receipt; sealed like the rest
        personal["face_jpeg_b64"] = base64.b64encode(face).decode("ascii")
    display = {
        "service_code": service["code"],
        "service_name": service.get("name_zh", ""),
        "masked_name": mask_name(card.get("name", "")) if card else "",
        "masked_id_number": mask_id_number(card["id_number"]) if card.get("id_number") else "",
    }
    receipt = outbox.enqueue(session.transaction_key, "application", session.id, display, personal)
    session.data.pop("face_jpeg", None)  # queued (sealed): the terminal needs it no more
    session.transaction_key = None  # the next application in this session is a new one
    return Submission(
        receipt.key,
        receipt.local_ref,
        service["code"],
        display["service_name"],
        display["masked_name"],
    )


def application_receipt(
    submission: Submission,
    service: dict[str, Any],
    answers: dict[str, str],
    config: Any,
    language: str,
) -> Any:
    from kiosk.devices.printer.receipt import Receipt

    fields = [("事项", submission.service_name), ("申请人", submission.masked_name)]
    if answers.get("phone"):
        fields.append(("联系电话", mask_phone(answers["phone"])))
    guide = service.get("guide", {})
    lines = [f"办理时限：{guide['time_limit']}"] if guide.get("time_limit") else []
    if guide.get("collection"):
        lines.append(f"领取方式：{guide['collection']}")
    return Receipt(
        title="受理回执",
        terminal_name=config.terminal.name,
        terminal_id=config.terminal.id,
        local_ref=submission.local_ref,
        platform_ref=submission.platform_ref,
        fields=tuple(fields),
        lines=tuple(lines),
        qr=submission.platform_ref or submission.local_ref,
        qr_caption="扫码或在“进度查询”输入编号查看办理进度",
        footer=("请妥善保管本回执。",),
        language=language,  # type: ignore[arg-type]
    )


def rating_item(
    level: int, indicators: list[str], text: str, service_code: str, reference: str
) -> dict[str, Any]:
    """The 好差评 record: anonymous, tied to the application by its reference."""
    if level not in dict(RATING_LEVELS):
        raise ValueError(f"unknown rating level {level}")
    return {
        "level": level,
        "level_name": dict(RATING_LEVELS)[level],
        "indicators": indicators,
        "text": text[:500],
        "service_code": service_code,
        "reference": reference,
        "channel": CHANNEL,
        "rated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
