"""Every action a journey step takes, as typed functions. Screens call these from thread
workers (they block on devices, disk and network); tests call them directly. No Textual."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kiosk.privacy import mask_id_number, mask_name
from kiosk.resident import forms, receipts
from kiosk.resident.identity import Identity, QrIdentity, card_fields, from_card
from kiosk.resident.rating import Rating
from kiosk.resident.service import Category, Language, Service
from kiosk.resident.session import ResidentSession, Submission
from kiosk.resident.tickets import LocalTicketCounter

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.devices.a4printer.adapter import A4Printer
    from kiosk.devices.camera.adapter import Camera
    from kiosk.devices.doccam.adapter import DocumentCamera
    from kiosk.devices.idcard.reader import IdCardReader
    from kiosk.devices.printer.adapter import ReceiptPrinter
    from kiosk.devices.printer.receipt import Receipt
    from kiosk.devices.smartcard.reader import SmartCardReader
    from kiosk.offline.outbox import Outbox
    from kiosk.offline.sync import SyncWorker
    from kiosk.platform.client import PlatformClient

log = logging.getLogger(__name__)


class NotQueued(Exception):
    """Nothing was stored: the resident must be told their request did not go in."""

    def __init__(self, reason: Literal["disk_full", "unavailable"], detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


# --- identify ----------------------------------------------------------------------------
def read_card(reader: IdCardReader | SmartCardReader, source: str) -> Identity:
    """Read the card on `reader` (blocking; raises DeviceError with a code)."""
    from kiosk.devices.idcard.reader import IdCardReader

    if isinstance(reader, IdCardReader):
        return from_card(source, reader.read_card())
    return from_card(source, reader.read_social_security())


def identify(session: ResidentSession, identity: Identity) -> None:
    """The resident is who the card (or the platform) says; a different person starts over."""
    if session.identity is not None and session.identity.id_number != identity.id_number:
        session.wipe()
    session.identity = identity


def verify_qr(platform: PlatformClient, token: str) -> Identity | None:
    """A phone QR code's one-time token, checked by the platform. None: not valid."""
    result = platform.verify_identity(qr_token=token)
    resident = result.get("resident")
    if result.get("verified") and isinstance(resident, dict):
        return QrIdentity.from_platform({k: str(v) for k, v in resident.items() if v})
    return None


# --- materials (高拍仪) ---------------------------------------------------------------------
def capture_material(doccam: DocumentCamera | None, session: ResidentSession, material: str) -> str:
    """Photograph one material now; "ok" when it is kept, else why not (no_doccam, no_frame,
    no_sheet, blurry, glare): the screen says so and offers 重拍."""
    from kiosk.devices.base import DeviceError
    from kiosk.resident.materials import CapturedPage, MaterialPages, required_materials

    if doccam is None or session.service is None:
        return "no_doccam"
    if session.materials is None:
        session.materials = MaterialPages(required_materials(session.service))
    try:
        scan = doccam.capture()
    except DeviceError:
        return "no_frame"
    if not scan.ok or scan.jpeg is None or scan.check is None:
        return scan.problems[0] if scan.problems else "no_sheet"
    session.materials.pages[material] = CapturedPage(material, scan.jpeg, scan.check.sharpness)
    return "ok"


# --- face --------------------------------------------------------------------------------
FaceOutcome = Literal["verified", "not_found", "no_camera", "offline", "rejected", "cancelled"]


def capture_face(
    camera: Camera | None,
    session: ResidentSession,
    *,
    verify_now: bool,
    platform: PlatformClient | None,
    cancel: threading.Event,
    on_check: Callable[[str], object],
    timeout: float = 20.0,
) -> FaceOutcome:
    """Find one good frame. Live records: the platform verifies it now. Applications: the
    frame waits in the session to be sealed into the outbox item (works offline)."""
    if camera is None or session.identity is None:
        return "no_camera"
    scan = camera.scan_face(
        timeout=timeout, cancel=cancel, on_check=lambda check: on_check(str(check.code))
    )
    if cancel.is_set():
        return "cancelled"
    if scan.jpeg is None:
        return "not_found"
    if not verify_now:
        session.face_jpeg = scan.jpeg
        return "verified"
    if platform is None:
        return "offline"
    try:
        result = platform.verify_identity(id_number=session.identity.id_number, face_jpeg=scan.jpeg)
    except Exception as exc:
        log.warning("face verification failed", extra={"error": type(exc).__name__})
        return "offline"
    if result.get("verified"):
        session.verification_id = str(result.get("verification_id") or "verified")
        return "verified"
    return "rejected"


def can_look_up_on_file(platform: PlatformClient | None, session: ResidentSession) -> bool:
    """Whether the platform can be asked what it has on file for this resident: it answers
    only for a resident verified at this terminal (a face frame can still be verified)."""
    identity = session.identity
    if platform is None or identity is None:
        return False
    return (
        session.face_jpeg is not None or platform.verification_for(identity.id_number) is not None
    )


def phone_on_file(platform: PlatformClient | None, session: ResidentSession) -> str | None:
    """The phone number the platform has on file for the identified resident, to prefill
    (shown masked, changeable); None offline or when there is none. An application's face
    frame is verified here for it (the frame still goes sealed into the outbox item)."""
    identity = session.identity
    if platform is None or identity is None or not can_look_up_on_file(platform, session):
        return None
    try:
        if platform.verification_for(identity.id_number) is None and session.face_jpeg:
            platform.verify_identity(id_number=identity.id_number, face_jpeg=session.face_jpeg)
        return platform.profile(identity.id_number).phone
    except Exception as exc:  # offline or refused: the resident keys the number in
        log.info("no phone on file", extra={"error": type(exc).__name__})
        return None


# --- records -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordResult:
    outcome: Literal["printed", "printed_a4", "print_failed", "offline", "kept",
                     "needs_verification"]  # fmt: skip
    title: str = ""
    summary: tuple[tuple[str, str], ...] = ()
    reference: str = ""
    summary_en: tuple[tuple[str, str], ...] = ()  # when the platform gives one


def fetch_and_print_record(
    platform: PlatformClient | None,
    printer: ReceiptPrinter | None,
    session: ResidentSession,
    service: Service,
    config: KioskConfig,
    still_here: Callable[[], bool],
) -> RecordResult:
    """Fetch the resident's live record and print it. Offline: said plainly, nothing else."""
    if session.identity is None or platform is None:
        return RecordResult("offline")
    from kiosk.platform.errors import PlatformRejected

    months = int(session.answers.get("months") or 12)
    try:
        record = platform.record(
            session.identity.id_number, service.record_type, months=months,
            verification_id=session.verification_id,
        )  # fmt: skip
    except PlatformRejected as exc:  # no face verified here (no camera): not given out
        return RecordResult("needs_verification" if exc.status == 403 else "offline")
    except Exception as exc:
        log.warning("record not fetched", extra={"error": type(exc).__name__})
        return RecordResult("offline")
    summary = tuple((str(k), str(v)) for k, v in record.get("summary", {}).items())
    english = record.get("summary_en") or {}
    summary_en = tuple((str(k), str(v)) for k, v in english.items())
    reference = str(record.get("certificate_no", ""))
    title = str(record.get("title_zh", service.name_zh))
    if not still_here():
        return RecordResult("print_failed", title, summary, reference, summary_en)
    outcome = print_receipt(printer, receipts.record_receipt(record, config))
    session.last_reference, session.last_service_code = reference, service.code
    return RecordResult(outcome, title, summary, reference, summary_en)


def issues_certificate(service: Service) -> bool:
    """The guide promises a certificate printed here with the electronic seal."""
    return "加盖电子印章" in service.guide.collection


def issue_and_print_certificate(
    platform: PlatformClient | None,
    a4printer: A4Printer | None,
    printer: ReceiptPrinter | None,
    session: ResidentSession,
    service: Service,
    config: KioskConfig,
    still_here: Callable[[], bool],
) -> RecordResult:
    """The platform issues the certificate (signed A4 PDF with seal and QR); it prints on the
    A4 printer, or, when that cannot print, a receipt with what it certifies and its
    verification code. The summary shown on screen is masked, as the document is."""
    if session.identity is None or platform is None:
        return RecordResult("offline")
    from kiosk.devices.base import DeviceError
    from kiosk.platform.errors import PlatformRejected

    # The resident's choices only (months, purpose, ...): card fields are not options.
    asked = {f.name for f in service.resident_fields}
    options = {k: v for k, v in session.answers.items() if v and k in asked}
    try:
        issued = platform.issue_certificate(session.identity.id_number, service.code, options,
                                            verification_id=session.verification_id)  # fmt: skip
        pdf = platform.certificate_pdf(issued)
    except PlatformRejected as exc:
        return RecordResult("needs_verification" if exc.status == 403 else "offline")
    except Exception as exc:
        log.warning("certificate not issued", extra={"error": type(exc).__name__})
        return RecordResult("offline")
    summary = (("证明对象", issued.certifies), ("出具机关", issued.authority),
               ("证明编号", issued.certificate_no), ("验证码", issued.code))  # fmt: skip
    # In English the labels; the values are the platform's words, as on the document.
    summary_en = (("Certifies", issued.certifies), ("Issued by", issued.authority),
                  ("Certificate no.", issued.certificate_no), ("Verification code", issued.code))  # fmt: skip
    session.last_reference, session.last_service_code = issued.certificate_no, service.code
    if not still_here():
        return RecordResult(
            "print_failed", issued.title, summary, issued.certificate_no, summary_en
        )
    if a4printer is not None:
        try:
            job = a4printer.print_pdf(pdf, f"{issued.title} {issued.certificate_no}")
            if job.completed:
                return RecordResult(
                    "printed_a4", issued.title, summary, issued.certificate_no, summary_en
                )
            log.warning("A4 job ended %s (%s): receipt instead", job.state, job.printer_problem)
        except DeviceError as exc:
            log.warning("A4 printer cannot print (%s): receipt instead", exc.code)
    outcome = print_receipt(printer, receipts.certificate_receipt(issued, config))
    return RecordResult(outcome, issued.title, summary, issued.certificate_no, summary_en)


# --- applications ------------------------------------------------------------------------
def begin_transaction(outbox: Outbox | None, session: ResidentSession) -> None:
    """The idempotency key is made when the form opens and survives retries and 上一步."""
    if session.transaction_key is None and outbox is not None:
        session.transaction_key = outbox.new_transaction_key()


def submit_application(outbox: Outbox | None, session: ResidentSession) -> Submission:
    """Queue the application durably; returns once it is on disk (the resident may be told).
    Raises NotQueued when nothing was stored."""
    from kiosk.offline.outbox import OutboxError, OutboxFull, OutboxItemTooLarge

    service = session.service
    if service is None or outbox is None or not outbox.can_enqueue:
        raise NotQueued("unavailable", "no service or no usable outbox")
    problems = forms.problems(service, session.answers)
    if problems:
        raise ValueError(f"form not complete: {sorted(problems)}")
    begin_transaction(outbox, session)
    assert session.transaction_key is not None
    card = {k: v for k, v in card_fields(session.identity).items() if v}
    personal: dict[str, object] = {**card, **forms.answers_for(service, session.answers)}
    if session.face_jpeg:  # verified by the platform on receipt; sealed like the rest
        personal["face_jpeg_b64"] = base64.b64encode(session.face_jpeg).decode("ascii")
    display = {
        "service_code": service.code,
        "service_name": service.name_zh,
        "masked_name": mask_name(card.get("name", "")),
        "masked_id_number": mask_id_number(card["id_number"]) if card.get("id_number") else "",
    }
    pages = session.materials.attachments() if session.materials is not None else ()
    if pages:  # sealed with the application as binary, never base64 in the JSON
        display["materials"] = str(len(pages))
    if session.materials is not None and session.materials.phone_uploads():
        personal["phone_uploads"] = session.materials.phone_uploads()  # linked at the platform
    try:
        receipt = outbox.enqueue(
            session.transaction_key, "application", session.id, display, personal,
            attachments=pages,
        )  # fmt: skip
    except (OutboxFull, OutboxItemTooLarge) as exc:
        raise NotQueued("disk_full", f"{type(exc).__name__}: {exc}") from exc
    except (OutboxError, OSError) as exc:
        raise NotQueued("unavailable", f"{type(exc).__name__}: {exc}") from exc
    session.face_jpeg = None  # sealed in the outbox: the terminal needs it no more
    if session.materials is not None:  # the same for the pages
        session.materials.wipe()
    session.transaction_key = None  # the next application in this session is a new one
    session.last_reference, session.last_service_code = receipt.local_ref, service.code
    session.submission = Submission(
        receipt.key, receipt.local_ref, service.code, service.name_zh, display["masked_name"]
    )
    return session.submission


def wait_platform_ref(sync: SyncWorker | None, submission: Submission, wait_s: float) -> Submission:
    """Online, the platform's number arrives within a moment; offline, keep the terminal's."""
    if sync is None:
        return submission
    reference = sync.wait_delivered(submission.key, wait_s)
    if not reference:
        return submission
    return Submission(
        submission.key, submission.local_ref, submission.service_code,
        submission.service_name, submission.masked_name, reference,
    )  # fmt: skip


PrintOutcome = Literal["printed", "kept", "print_failed"]


def print_receipt(printer: ReceiptPrinter | None, receipt: Receipt) -> PrintOutcome:
    """Print; a receipt refused for paper out / cover open is kept for staff to reprint."""
    if printer is None:
        return "print_failed"
    try:
        printer.print_receipt(receipt, keep_if_refused=True)
    except Exception as exc:
        log.warning("receipt not printed", extra={"error": type(exc).__name__})
        return "kept" if getattr(exc, "code", "") else "print_failed"
    return "printed"


# --- tickets -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Ticket:
    number: str  # short: A012
    category: Category
    counter: str
    waiting_ahead: int
    issued_at: dt.datetime
    offline: bool
    printed: PrintOutcome = "print_failed"


def issue_ticket(
    platform: PlatformClient | None,
    outbox: Outbox | None,
    counter: LocalTicketCounter,
    category: Category,
    services: list[Service],
) -> Ticket:
    """A queue number for a category's windows. Offline: the terminal's own short number,
    queued in the outbox so the hall's system learns of it."""
    code = next((s.code for s in services if s.category == category.code), category.code)
    now = dt.datetime.now().astimezone()
    if platform is not None:
        try:
            t = platform.issue_ticket(code)
            return Ticket(
                str(t["ticket_no"]), category, str(t.get("counter", "")),
                int(t.get("waiting_ahead", 0)), now, offline=False,
            )  # fmt: skip
        except Exception as exc:
            log.warning("ticket not issued online", extra={"error": type(exc).__name__})
    number = counter.next(category.code, now.date())
    if outbox is None:
        raise NotQueued("unavailable", "no outbox for an offline ticket")
    try:
        outbox.enqueue(
            outbox.new_transaction_key(), "ticket", "tickets",
            {"service_code": code, "category": category.code, "ticket_no": number}, {},
        )  # fmt: skip
    except Exception as exc:
        raise NotQueued("unavailable", f"{type(exc).__name__}: {exc}") from exc
    return Ticket(number, category, counter.window(category.code), -1, now, offline=True)


def print_ticket(
    printer: ReceiptPrinter | None, ticket: Ticket, config: KioskConfig, language: Language
) -> Ticket:
    outcome = print_receipt(printer, receipts.ticket_receipt(ticket, config, language))
    return Ticket(
        ticket.number, ticket.category, ticket.counter, ticket.waiting_ahead,
        ticket.issued_at, ticket.offline, outcome,
    )  # fmt: skip


# --- progress ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgressStep:
    name_zh: str
    name_en: str
    done: bool
    at: str  # shown as a person reads it: 2026-12-01 13:18


@dataclass(frozen=True)
class Progress:
    reference: str
    service_name: str
    steps: tuple[ProgressStep, ...]


def normalise_reference(text: str) -> str:
    """What a resident keys in or a QR code holds: lower case, spaces, a URL around it."""
    text = text.strip()
    if "/" in text:  # a receipt QR may hold a verification URL ending in the reference
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return "".join(text.split()).upper()


def human_time(value: str) -> str:
    """'2026-12-01T13:18:30.577Z' -> '2026-12-01 21:18' in the terminal's local time."""
    if not value:
        return ""
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M")


ProgressOutcome = Literal["found", "not_found", "offline", "empty"]


def query_progress(
    platform: PlatformClient | None, reference: str, verification_id: str | None = None
) -> tuple[ProgressOutcome, Progress | None]:
    from kiosk.platform.errors import PlatformRejected

    reference = normalise_reference(reference)
    if not reference:
        return "empty", None
    if platform is None:
        return "offline", None
    try:
        p = platform.progress(reference, verification_id=verification_id)
    except PlatformRejected:
        return "not_found", None
    except Exception as exc:
        log.warning("progress query failed", extra={"error": type(exc).__name__})
        return "offline", None
    steps = tuple(
        ProgressStep(str(s.get("name_zh", "")), str(s.get("name_en", "")), bool(s.get("done")),
                     human_time(str(s.get("at") or "")))
        for s in p.get("steps", [])
    )  # fmt: skip
    return "found", Progress(
        str(p.get("reference", reference)), str(p.get("service_name") or ""), steps
    )


# --- rating, staff -----------------------------------------------------------------------
def rate(outbox: Outbox | None, session: ResidentSession | None, rating: Rating) -> bool:
    """Queue a 好差评. Free words may name someone: sealed. A real-name rating carries the
    resident's identity (sealed) so that a 差评 can be followed up. Never raises: rating is
    never forced, and the resident is thanked either way."""
    if outbox is None:
        return False
    personal: dict[str, object] = {"text": rating.text} if rating.text else {}
    if rating.real_name and session is not None and session.identity is not None:
        personal["name"] = session.identity.name
        personal["id_number"] = session.identity.id_number
        if session.answers.get("phone"):
            personal["phone"] = session.answers["phone"]
    try:
        outbox.enqueue(outbox.new_transaction_key(), "rating", "ratings", rating.item(), personal)
    except Exception as exc:
        log.error("rating not queued", extra={"error": f"{type(exc).__name__}: {exc}"})
        return False
    return True


def call_staff(outbox: Outbox | None, where: str) -> bool:
    """呼叫工作人员: an audit event through the outbox, so it reaches staff offline too.
    True when it is queued (durable)."""
    log.info("staff called", extra={"where": where})
    if outbox is None:
        return False
    try:
        outbox.enqueue(
            outbox.new_transaction_key(), "audit", "audit",
            {"event": "staff_called", "screen": where}, {},
        )  # fmt: skip
    except Exception as exc:
        log.error("staff call not queued", extra={"error": type(exc).__name__})
        return False
    return True
