"""Issue a certificate: lay out the A4 PDF, sign it (PAdES B-B with pyhanko, by the demo
signing certificate), and describe what the platform stores to verify it later."""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from kiosk.platform.server.certificates.authority import AuthorityFiles
from kiosk.platform.server.certificates.content import CertificateContent
from kiosk.platform.server.certificates.layout import Issue, render_pdf

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or typed from paper
BEIJING = timezone(timedelta(hours=8))
SIGNATURE_FIELD = "PlatformSeal"


@dataclass(frozen=True)
class IssuedCertificate:
    code: str
    certificate_no: str
    service_code: str
    title: str
    certifies: str  # masked, for the verification page
    authority: str
    issued_at: str  # ISO 8601 UTC
    sha256: str
    pdf: bytes


def new_code() -> str:
    """16 characters from a 32-letter alphabet (80 bits): not guessable, easy to read out."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str) -> str:
    """What a person typed, as the stored code: upper case, O->0-free, dashes where they go."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def issue(
    content: CertificateContent,
    authority: AuthorityFiles,
    verify_base_url: str,
    now: datetime | None = None,
) -> IssuedCertificate:
    now = now or datetime.now(UTC)
    code = new_code()
    local = now.astimezone(BEIJING)
    number = f"{content.service_code}-{local:%Y%m%d}-{secrets.randbelow(10**8):08d}"
    info = Issue(
        certificate_no=number,
        code=code,
        verify_url=f"{verify_base_url.rstrip('/')}/verify/{code}",
        issued_at_text=f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}",
    )
    unsigned = render_pdf(content, info)
    signed = sign_pdf(unsigned, authority, reason=f"{content.title} {number}")
    return IssuedCertificate(
        code=code,
        certificate_no=number,
        service_code=content.service_code,
        title=content.title,
        certifies=content.certifies(),
        authority=content.authority,
        issued_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        sha256=hashlib.sha256(signed).hexdigest(),
        pdf=signed,
    )


def sign_pdf(pdf: bytes, authority: AuthorityFiles, *, reason: str) -> bytes:
    signer = signers.SimpleSigner.load(
        str(authority.signer_key),
        str(authority.signer_cert),
        ca_chain_files=(str(authority.ca_cert),),
    )
    if signer is None:
        raise RuntimeError(f"cannot load the signing key {authority.signer_key}")
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location="示例市",
        md_algorithm="sha256",
    )
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out)
    return out.getvalue()
