"""The OpenAPI 3.1 document of the platform API, built from the pydantic models in schemas.py.

`kiosk platform openapi --write` stores it as openapi.yaml next to this file (the document
kept in the repo); a test checks the file equals what this module builds and that every
server route is in it. The server serves the same dict at GET /v1/openapi.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from kiosk import __version__
from kiosk.platform import schemas as s

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")
REF = "#/components/schemas/{model}"
PDF = "application/pdf"  # a request or response that is a PDF document, not JSON
_PDF_CONTENT = {PDF: {"schema": {"type": "string", "format": "binary"}}}
UPLOAD = "upload"  # a phone upload's bytes, as the type the bytes are
_UPLOAD_CONTENT = {t: {"schema": {"type": "string", "format": "binary"}}
                   for t in ("image/jpeg", "image/png", PDF)}  # fmt: skip

_RESPONSE_MODELS: list[type[BaseModel]] = [
    s.ErrorBody, s.Health, s.BatchResponse, s.Catalog, s.VerifyResult, s.Record, s.Profile,
    s.Progress, s.Ticket, s.HeartbeatResponse, s.PublicKey, s.CertificateIssued, s.Verification,
    s.UploadSession, s.UploadSessionStatus,
]  # fmt: skip
_REQUEST_MODELS: list[type[BaseModel]] = [
    s.BatchRequest, s.FaceVerifyRequest, s.QrVerifyRequest, s.TicketRequest,
    s.HeartbeatRequest, s.CertificateRequest, s.UploadSessionRequest,
]  # fmt: skip

# (method, path, operationId, summary, request model, response model, extra statuses, signed)
ROUTES: list[tuple[str, str, str, str, str | None, str | None, tuple[int, ...], bool]] = [
    ("get", "/v1/health", "health", "Liveness; unsigned", None, "Health", (), False),
    ("get", "/v1/openapi.json", "openapi", "This document; unsigned", None, None, (), False),
    ("get", "/v1/keys", "keys", "Current X25519 key for outbox sealing", None, "PublicKey", (), True),
    ("get", "/v1/catalog", "catalog", "Service catalog (ETag, If-None-Match → 304)", None, "Catalog", (304,), True),
    ("post", "/v1/outbox/batch", "submit_batch", "Submit outbox items; one result per item, in order",
     "BatchRequest", "BatchResponse", (400, 413, 422), True),
    ("post", "/v1/identity/verify", "verify_identity", "Verify a resident by face JPEG or QR token",
     "VerifyRequest", "VerifyResult", (400, 422), True),
    ("get", "/v1/residents/{id_hash}/records/{record_type}", "record",
     "A resident's record, e.g. social insurance contributions; needs X-Verification-Id of a "
     "verification of this resident at this terminal", None, "Record", (403, 404, 422), True),
    ("get", "/v1/residents/{id_hash}/profile", "profile",
     "What is on file for the resident (a phone number), to offer prefilled; needs "
     "X-Verification-Id of a verification of this resident at this terminal", None, "Profile",
     (403, 404), True),
    ("get", "/v1/applications/{reference}", "progress",
     "Progress of an application by platform reference or terminal local_ref: only one this "
     "terminal submitted, or (X-Verification-Id) the verified resident's", None, "Progress", (404,), True),
    ("post", "/v1/queue/tickets", "issue_ticket", "Queue ticket for a service hall counter",
     "TicketRequest", "Ticket", (400, 404, 422), True),
    ("post", "/v1/heartbeat", "heartbeat", "Terminal status; the reply carries pending commands",
     "HeartbeatRequest", "HeartbeatResponse", (400, 422), True),
    ("post", "/v1/certificates", "issue_certificate",
     "Issue a certificate (证明) as a signed A4 PDF with a verification code",
     "CertificateRequest", "CertificateIssued", (400, 403, 404, 422), True),
    ("get", "/v1/certificates/{code}/pdf", "certificate_pdf",
     "The signed PDF of a certificate; only for the terminal that issued it", None, PDF, (404,), True),
    ("get", "/v1/verify/{code}", "verify_certificate",
     "Public: is this code a certificate the platform issued, and does its signature hold",
     None, "Verification", (), False),
    ("post", "/v1/verify/{code}", "verify_certificate_file",
     "Public: is this PDF file exactly the certificate issued under the code",
     PDF, "Verification", (413,), False),
    ("post", "/v1/materials/sessions", "open_upload_session",
     "Open a one-time phone upload session for a service's materials (QR code URL)",
     "UploadSessionRequest", "UploadSession", (400, 404, 422), True),
    ("get", "/v1/materials/sessions/{session_id}", "upload_session_status",
     "Files the phone has uploaded so far; only for the terminal that opened the session",
     None, "UploadSessionStatus", (404,), True),
    ("get", "/v1/materials/files/{upload_id}", "uploaded_file",
     "One uploaded file's bytes (JPEG, PNG or PDF); only for the terminal that opened it",
     None, UPLOAD, (404,), True),
]  # fmt: skip

_STATUS_TEXT = {
    304: "Not modified (If-None-Match matched the current ETag)",
    400: "Body is not JSON",
    401: "bad_signature, stale_timestamp or replayed",
    403: "verification_required: no live verification of this resident at this terminal",
    404: "Not found",
    413: "Body too large (a batch over 1000 items or 8 MB; a PDF over 4 MB)",
    422: "Body or parameters violate the schema",
    429: "Rate limited; see Retry-After",
    503: "Temporarily unavailable; may carry Retry-After",
}
_PARAMETERS = {
    "id_hash": {"type": "string", "pattern": s.ID_HASH_PATTERN},
    "record_type": {
        "type": "string",
        "enum": ["social_insurance", "medical_insurance", "housing_fund"],
    },
    "reference": {"type": "string", "pattern": s.REFERENCE_PATTERN},
    "code": {"type": "string", "pattern": s.CERTIFICATE_CODE_PATTERN},
    "session_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "upload_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}


def _schemas() -> dict[str, Any]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "serialization") for m in _RESPONSE_MODELS),
        *((m, "validation") for m in _REQUEST_MODELS),
    ]
    _, top = models_json_schema(pairs, ref_template=REF)
    defs = dict(top.get("$defs", {}))
    union = TypeAdapter(s.VerifyRequest).json_schema(ref_template=REF)
    union.pop("$defs", None)
    defs["VerifyRequest"] = union
    return dict(sorted(defs.items()))


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}}  # fmt: skip


def _retry_after() -> dict[str, Any]:
    return {"Retry-After": {"description": "seconds or HTTP-date", "schema": {"type": "string"}}}


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, op_id, summary, request, response, extra, signed in ROUTES:
        ok: dict[str, Any] = {"description": "OK"}
        if response == PDF:
            ok["content"] = _PDF_CONTENT
        elif response == UPLOAD:
            ok["content"] = _UPLOAD_CONTENT
        elif response:
            ok["content"] = {"application/json": {"schema": {"$ref": REF.format(model=response)}}}
        elif op_id == "openapi":
            ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        if op_id == "catalog":
            ok["headers"] = {
                "ETag": {"description": "catalog version", "schema": {"type": "string"}}
            }
        responses: dict[str, Any] = {"200": ok}
        for status in sorted({*extra, *((401,) if signed else ()), 429, 503}):
            if status == 304:
                responses["304"] = {"description": _STATUS_TEXT[304]}
                continue
            responses[str(status)] = _error(_STATUS_TEXT[status])
            if status in (429, 503):
                responses[str(status)]["headers"] = _retry_after()
        operation: dict[str, Any] = {
            "operationId": op_id,
            "summary": summary,
            "responses": responses,
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": _PARAMETERS[name]}
            for name in _PARAMETERS
            if "{" + name + "}" in path
        ]
        if op_id == "record":
            params.append({"name": "months", "in": "query", "required": False,
                           "schema": {"type": "integer", "minimum": 1, "maximum": 60, "default": 12}})  # fmt: skip
        if op_id in ("record", "profile", "progress"):
            params.append({"name": "X-Verification-Id", "in": "header",
                           "required": op_id in ("record", "profile"),
                           "schema": {"type": "string", "maxLength": 128}})  # fmt: skip
        if op_id == "catalog":
            params.append({"name": "If-None-Match", "in": "header", "required": False,
                           "schema": {"type": "string"}})  # fmt: skip
        if params:
            operation["parameters"] = params
        if request == PDF:
            operation["requestBody"] = {"required": True, "content": _PDF_CONTENT}
        elif request:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": REF.format(model=request)}}}}  # fmt: skip
        operation["security"] = [{"terminal_signature": []}] if signed else []
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kiosk central platform API",
            "version": "1",
            "x-kiosk-version": __version__,
            "description": (
                "Signed JSON API between self-service terminals and the platform. Every request "
                "except /v1/health, /v1/openapi.json and the public /v1/verify/{code} carries "
                "X-Terminal-Id, X-Timestamp "
                "(unix s), X-Nonce (32 hex) and X-Signature = hex(Ed25519 signature by the "
                "terminal's enrolled key of METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\n"
                "sha256_hex(body)); demo terminals only: hex(HMAC-SHA256(secret, same string))."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "terminal_signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Signature",
                    "description": "Ed25519 (demo: HMAC-SHA256) request signature; see info.",
                },  # fmt: skip
            },
        },
    }


def document_text() -> str:
    """The document as stored in openapi.yaml: JSON syntax, which is valid YAML 1.2."""
    return json.dumps(build_document(), ensure_ascii=False, indent=2) + "\n"


def load_document() -> dict[str, Any]:
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
