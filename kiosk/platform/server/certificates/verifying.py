"""Checks behind the public verification page: is this code one the platform issued, does
the issued document's signature hold, and is a file someone holds exactly that document.

A file is genuine only if it is byte for byte the issued PDF; the PAdES signature check then
says why a different file is not (damaged, changed after signing, signed by someone else).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import load_cert_from_pemder
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

MAX_UPLOAD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool  # intact, trusted and covering the whole file
    intact: bool  # the signed bytes hash to what the signature says
    trusted: bool  # the signer chains to the platform's CA
    whole_file: bool  # nothing was appended after signing
    signer: str
    signed_at: str | None
    reason: str  # machine word: ok, no_signature, damaged, digest_mismatch, untrusted, ...


def check_signature(pdf: bytes, ca_cert: Path) -> SignatureCheck:
    """Validate the first signature of `pdf` against the platform's CA (no network)."""
    # The file comes from anyone: a damaged PDF fails deep inside the parser in many ways
    # (assertions included), and each of them means the same thing to the person checking.
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        return SignatureCheck(False, False, False, False, "", None, "damaged")
    if not signatures:
        return SignatureCheck(False, False, False, False, "", None, "no_signature")
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca_cert))])
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception:  # as above: any failure to validate is a damaged signature
        return SignatureCheck(False, False, False, False, "", None, "damaged")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = (
        status.signing_cert.subject.native.get("common_name", "") if status.signing_cert else ""
    )
    signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    if not status.intact:
        reason = "digest_mismatch"
    elif not status.valid:
        reason = "bad_signature"
    elif not status.trusted:
        reason = "untrusted_signer"
    elif not whole:
        reason = "changed_after_signing"
    else:
        reason = "ok"
    return SignatureCheck(
        reason == "ok", status.intact, status.trusted, whole, str(signer), signed_at, reason
    )


@dataclass(frozen=True)
class FileCheck:
    status: str  # genuine | tampered
    reason: str
    signature: SignatureCheck


def check_file(held: bytes, issued_sha256: str, ca_cert: Path) -> FileCheck:
    signature = check_signature(held, ca_cert)
    if hashlib.sha256(held).hexdigest() == issued_sha256:
        return FileCheck("genuine", "identical_to_issued", signature)
    if signature.reason == "ok":  # signed by us, yet not these bytes: another document,
        # or bytes changed where the signature does not reach (its own padding)
        return FileCheck("tampered", "differs_from_issued", signature)
    return FileCheck("tampered", signature.reason, signature)
