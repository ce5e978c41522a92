"""Request and response bodies of the platform API, as pydantic models.

One definition serves three uses: the server validates requests with them, the client checks
responses with them (garbage becomes PlatformBadResponse, never a KeyError in a screen), and
openapi.py builds the OpenAPI document from them, so the document cannot drift from the code.
Unknown fields are ignored both ways so either side can add fields first.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
BASE64_PATTERN = r"^[A-Za-z0-9+/]*={0,2}$"
ID_NUMBER_PATTERN = r"^([0-9]{17}[0-9Xx]|[A-Z]{3}[0-9]{12})$"  # GB 11643, or a 2017 foreign card
ID_HASH_PATTERN = r"^[0-9a-f]{64}$"
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$"

MAX_BATCH_ITEMS = 1000
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_INT = 2**62  # every integer fits a 64-bit database column

ItemKind = Literal["application", "rating", "ticket", "audit"]
RecordType = Literal["social_insurance", "medical_insurance", "housing_fund"]
CommandName = Literal["lock", "unlock", "refresh_catalog", "collect_diagnostics", "restart"]
PaperLevel = Literal["full", "low", "out", "jammed", "unknown"]
REGION_PATTERN = r"^[0-9]{2,12}$"  # GB/T 2260 行政区划 code or a prefix of one


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorBody(Model):
    error: str = Field(description="machine-readable code, e.g. bad_signature, invalid_request")
    reason: str | None = Field(None, description="human-readable detail")


class Health(Model):
    status: Literal["ok"]
    version: str
    time: str


# --- outbox batch ---------------------------------------------------------------------------


class SealedBlob(Model):
    kid: Annotated[str, Field(min_length=1, max_length=64)]
    blob: Annotated[str, Field(max_length=MAX_BATCH_BYTES, pattern=BASE64_PATTERN)]


class OutboxItem(Model):
    key: Annotated[str, Field(pattern=UUID_PATTERN, description="idempotency key, unique forever")]
    kind: ItemKind
    stream: Annotated[str, Field(min_length=1, max_length=128)]
    seq: Annotated[int, Field(ge=0, le=MAX_INT)]
    local_ref: Annotated[str, Field(min_length=1, max_length=64)]
    created_at: Annotated[str, Field(min_length=1, max_length=40, description="ISO 8601 UTC")]
    attempt: Annotated[int, Field(ge=0, le=2**31)] = 0
    display: dict[str, Any] = Field(default_factory=dict, description="masked, readable fields")
    sealed: SealedBlob | None = Field(
        None, description="HPKE blob bound to key; optional for audit"
    )


class BatchRequest(Model):
    items: list[OutboxItem] = Field(max_length=MAX_BATCH_ITEMS)


class ItemResult(Model):
    key: str
    status: Literal["accepted", "duplicate", "rejected"]
    reference: str | None = None
    reason: str | None = None
    first_seen_at: str


class BatchResponse(Model):
    results: list[ItemResult]


# --- catalog --------------------------------------------------------------------------------


class Category(Model):
    code: str
    name_zh: str
    name_en: str
    name_zh_hant: str | None = Field(None, description="繁體 name, when OpenCC's is not right")


class FieldOption(Model):
    value: str
    label_zh: str
    label_en: str
    label_zh_hant: str | None = Field(None, description="繁體 label, when OpenCC's is not right")


class FormField(Model):
    name: str
    label_zh: str
    label_en: str
    label_zh_hant: str | None = Field(None, description="繁體 label, when OpenCC's is not right")
    type: Literal["text", "textarea", "id_number", "phone", "date", "select", "number", "bool"]
    required: bool = True
    source: Literal["idcard", "input"] = Field(
        "input", description="idcard: filled from the ID card read, never typed by the resident"
    )
    options: list[FieldOption] | None = None
    max_length: int | None = None


class Guide(Model):
    conditions: list[str] = Field(description="办理条件")
    materials: list[str] = Field(description="所需材料")
    time_limit: str = Field(description="办理时限")
    fee: str = Field(description="收费标准")
    collection: str = Field(description="领取方式/地点")


class Service(Model):
    code: str
    category: str
    name_zh: str
    name_en: str
    name_zh_hant: str | None = Field(None, description="繁體 name, when OpenCC's is not right")
    pinyin_initials: list[str] = Field(description="search keys, e.g. sbzm for 社保证明")
    keywords: list[str] = []
    kiosk_action: Literal["apply", "print_record", "ticket", "guide_only"]
    record_type: RecordType | None = None
    needs_verification: bool
    guide: Guide
    guide_en: Guide | None = Field(None, description="the guide in English (older catalogs: none)")
    form: list[FormField]


class Catalog(Model):
    version: str
    updated_at: str
    categories: list[Category]
    services: list[Service]


# --- identity -------------------------------------------------------------------------------


class FaceVerifyRequest(Model):
    method: Literal["face"]
    id_number: Annotated[str, Field(pattern=ID_NUMBER_PATTERN)]
    face_jpeg_b64: Annotated[
        str, Field(min_length=1, max_length=4 * 1024 * 1024, pattern=BASE64_PATTERN)
    ]


class QrVerifyRequest(Model):
    method: Literal["qr"]
    token: Annotated[str, Field(min_length=1, max_length=256)]


VerifyRequest = Annotated[FaceVerifyRequest | QrVerifyRequest, Field(discriminator="method")]


class ResidentInfo(Model):
    id_hash: str
    id_number: str
    name: str
    gender: str
    birth_date: str
    masked_name: str
    masked_id_number: str


class VerifyResult(Model):
    verified: bool
    method: Literal["face", "qr"]
    reason: str | None = Field(None, description="why not verified (or 'ok')")
    verification_id: str | None = Field(
        None,
        description="send as X-Verification-Id for this resident's records (this terminal only)",
    )
    expires_at: str | None = Field(None, description="when the verification_id stops working")
    resident: ResidentInfo | None = None


# --- records, progress, tickets, heartbeat, keys --------------------------------------------


class Column(Model):
    key: str
    label_zh: str
    label_en: str


class Profile(Model):
    """What the platform has on file for a verified resident, for the terminal to offer
    prefilled (the resident confirms it with one tap instead of keying it)."""

    phone: str | None = Field(None, description="mobile phone number on file, if any")


class Record(Model):
    record_type: RecordType
    title_zh: str
    title_en: str
    certificate_no: str
    issued_at: str
    masked_name: str
    masked_id_number: str
    summary: dict[str, str]
    summary_en: dict[str, str] | None = Field(None, description="the summary in English")
    columns: list[Column]
    rows: list[dict[str, str]]


class ProgressStep(Model):
    name_zh: str
    name_en: str
    done: bool
    at: str | None = None


class Progress(Model):
    reference: str
    local_ref: str | None = None
    service_code: str | None = None
    service_name: str | None = None
    status: Literal["received", "reviewing", "approved", "completed", "rejected"]
    submitted_at: str
    steps: list[ProgressStep]


class TicketRequest(Model):
    service_code: Annotated[str, Field(min_length=1, max_length=64)]


class Ticket(Model):
    ticket_no: str
    service_code: str
    service_name: str
    counter: str
    waiting_ahead: int
    issued_at: str


class CommandResult(Model):
    id: Annotated[int, Field(ge=0, le=MAX_INT)]
    ok: bool
    detail: Annotated[str, Field(max_length=2000)] = ""
    bundle_b64: Annotated[str, Field(max_length=4 * 1024 * 1024, pattern=BASE64_PATTERN)] | None = (
        Field(None, description="collect_diagnostics: the bundle (tar.gz), base64")
    )


class DeviceStatus(Model):
    device: Annotated[str, Field(min_length=1, max_length=64)]
    state: Annotated[str, Field(min_length=1, max_length=64)]
    detail: Annotated[str, Field(max_length=500)] | None = None


class HeartbeatRequest(Model):
    version: Annotated[str, Field(min_length=1, max_length=64)]
    devices: list[DeviceStatus] = Field(default_factory=list, max_length=64)
    outbox_depth: Annotated[int, Field(ge=0, le=MAX_INT)] = 0
    dead_letters: Annotated[int, Field(ge=0, le=MAX_INT)] = 0
    demo_secrets: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=16,
        description="well-known demo secrets this terminal runs on (kiosk/demo.py); empty when set up",
    )  # fmt: skip
    clock_skew_s: Annotated[float | None, Field(ge=-1e9, le=1e9)] = Field(
        None, description="terminal clock minus the platform's, as the terminal last measured it"
    )
    acked_commands: list[Annotated[int, Field(ge=0, le=MAX_INT)]] = Field(
        default_factory=list, max_length=1000, description="command ids already carried out"
    )
    command_results: list[CommandResult] = Field(
        default_factory=list, max_length=100, description="what the carried-out commands gave"
    )
    sent_at: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="the terminal's clock (ISO 8601) when it sent the beat: clock skew"
    )
    paper: PaperLevel | None = Field(None, description="receipt paper, from the printer's sensor")
    outbox_oldest_s: Annotated[float, Field(ge=0, le=MAX_INT)] | None = Field(
        None, description="age in seconds of the oldest item waiting in the outbox"
    )
    locked: bool = Field(False, description="out of service (by staff or a platform lock)")
    lock_reason: Annotated[str, Field(max_length=64)] | None = None
    lock_message: Annotated[str, Field(max_length=200)] | None = None
    location: Annotated[str, Field(max_length=200)] | None = None
    region: Annotated[str, Field(pattern=REGION_PATTERN)] | None = None


class Command(Model):
    id: int
    command: CommandName
    issued_at: str
    message: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="lock: what the out-of-service screen says"
    )


class HeartbeatResponse(Model):
    server_time: str
    commands: list[Command] = Field(description="every command not yet acknowledged")


class PublicKey(Model):
    kid: str
    algorithm: str
    public_key_pem: str
    sm2_kid: str | None = Field(None, description="国密: the SM2 key's id (SM2 + SM4-GCM sealing)")
    sm2_public_key: str | None = Field(None, description='国密: "sm2:" + 128 hex digits (x | y)')


# --- certificates (证明) and their public verification ----------------------------------------

CERTIFICATE_CODE_PATTERN = r"^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$"
VerificationStatus = Literal["genuine", "tampered", "unknown"]


class CertificateRequest(Model):
    service_code: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Z]+[0-9]+$")]
    id_hash: Annotated[str, Field(pattern=ID_HASH_PATTERN)]
    options: dict[str, Annotated[str, Field(max_length=64)]] = Field(
        default_factory=dict,
        max_length=8,
        description="the service's form choices, e.g. months, purpose, scope, year_from",
    )


class CertificateFacts(Model):
    """What a certificate certifies, masked: shown on the verification page to anyone."""

    code: str
    certificate_no: str
    service_code: str
    title: str
    certifies: str
    authority: str
    issued_at: str = Field(description="ISO 8601 UTC")
    sha256: str = Field(description="of the signed PDF as issued")


class CertificateIssued(CertificateFacts):
    verify_url: str
    pdf_path: str = Field(description="GET it (signed, issuing terminal only) for the PDF")
    size: int


class SignatureReport(Model):
    valid: bool
    intact: bool
    trusted: bool
    whole_file: bool
    signer: str
    signed_at: str | None
    reason: str


class Verification(Model):
    code: str
    status: VerificationStatus
    reason: str = Field(description="e.g. issued, identical_to_issued, digest_mismatch, damaged")
    certificate: CertificateFacts | None = None
    signature: SignatureReport | None = None


# --- materials from the resident's phone -----------------------------------------------------


class UploadSessionRequest(Model):
    service_code: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Z]+[0-9]+$")]
    materials: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=20, description="the service's 所需材料 the phone may send"
    )


class UploadSession(Model):
    session_id: str
    upload_url: str = Field(description="shown as a QR code; opened by one phone only")
    expires_at: str
    max_file_bytes: int
    max_files: int


class UploadedFile(Model):
    id: str
    material: str
    content_type: str
    size: int
    sha256: str
    received_at: str


class UploadSessionStatus(Model):
    session_id: str
    expires_at: str
    phone_connected: bool
    files: list[UploadedFile]
