"""The reference platform server: a Starlette app over Storage, with signing and fault modes.

`PlatformServer(data_dir, database_url=None, faults=())` holds the state; `.app` is the ASGI
app (faults middleware outermost). Database calls run on the event loop thread on purpose:
they are short, and one writer keeps SQLite simple and fast. Every malformed request gets a
4xx JSON error with a reason; a 500 would be a bug.

Least privilege: a terminal signs with its own key (no demo terminal unless `demo=True`);
identity verification answers alike for unknown and mismatched residents and, when it
succeeds, gives a verification id bound to that terminal and resident for VERIFICATION_TTL_S;
records need it; progress shows only what this terminal submitted or the verified resident's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from kiosk import __version__, gm
from kiosk.demo import DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET
from kiosk.hall import TICKET_PREFIX
from kiosk.offline import crypto
from kiosk.offline.attachments import Attachment, AttachmentError, is_packed, unpack
from kiosk.platform import schemas as s
from kiosk.platform.jsonsafe import TooDeep, check_depth
from kiosk.platform.openapi import build_document
from kiosk.platform.server.certificates.authority import ensure_authority
from kiosk.platform.server.console.settings import ConsoleSettings
from kiosk.platform.server.console.web import Console
from kiosk.platform.server.db import NewItem, Storage, utc_now_iso
from kiosk.platform.server.demo_data import DemoData, Resident, id_number_acceptable
from kiosk.platform.server.face_check import check_face_jpeg
from kiosk.platform.server.faults import Fault, FaultInjector, FaultMiddleware
from kiosk.platform.signing import (
    SignatureError,
    resident_id_hash,
    verify_request,
)

if TYPE_CHECKING:
    from kiosk.platform.server.certificates.issuing import IssuedCertificate

T = TypeVar("T")
log = logging.getLogger(__name__)

PRIVATE_KEY_FILE = "platform_x25519.key"
PUBLIC_KEY_FILE = "platform_x25519.pub"
SM2_PRIVATE_KEY_FILE = "platform_sm2.key"
SM2_PUBLIC_KEY_FILE = "platform_sm2.pub"
QR_TOKEN_TTL_S = 300
# A verification lets this terminal read this resident's records for a few minutes: long
# enough to print, short enough that the next person at the terminal cannot use it.
VERIFICATION_TTL_S = 300
HEADER_VERIFICATION = "X-Verification-Id"
MAX_JSON_DEPTH = 32  # the API's deepest body is 4 levels; more is an attack, not a request
_VERIFY = TypeAdapter(s.VerifyRequest)

NOT_VERIFIED = "not_verified"  # unknown, invalid or mismatched resident: one answer for all

Handler = Callable[[Request, str, bytes], Awaitable[Response]]


class BadRequest(Exception):
    def __init__(self, status: int, code: str, reason: str, headers: dict[str, str] | None = None):
        super().__init__(reason)
        self.status, self.code, self.reason, self.headers = status, code, reason, headers


def error(
    status: int, code: str, reason: str = "", headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason or code}, status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    code = "not_found" if status == 404 else "method_not_allowed"
    return error(status, code, f"no such endpoint: {request.method} {request.url.path}")


class PlatformServer:
    def __init__(
        self,
        data_dir: Path,
        database_url: str | None = None,
        faults: Iterable[Fault] = (),
        console: ConsoleSettings | None = None,
        *,
        demo: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.data_dir.chmod(0o700)  # its private key opens every sealed item
        self.storage = Storage.open(self.data_dir, database_url)
        # PostgreSQL: durable writes (outbox batches, verifications) go through a second
        # connection in a worker thread, so a slow WAL flush never stalls the heartbeats
        # served on the event loop. SQLite keeps its one connection.
        self.writer = (
            Storage.open(self.data_dir, database_url)
            if self.storage.dialect == "postgresql"
            else self.storage
        )
        if demo:  # the demo terminal's public secret, in memory only
            self.storage.add_demo_terminal(DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET)
        self.demo = DemoData()
        self.public_key_path = self.data_dir / PUBLIC_KEY_FILE
        private_path = self.data_dir / PRIVATE_KEY_FILE
        if private_path.exists():
            key = crypto.load_private_key(private_path)
        else:
            key = crypto.generate_keypair(private_path, self.public_key_path)
        self.kid = crypto.key_id(key.public_key())
        # 国密: an SM2 key too, for terminals with platform.crypto = "gm" (kiosk/gm.py).
        self.sm2_public_key_path = self.data_dir / SM2_PUBLIC_KEY_FILE
        sm2_private = self.data_dir / SM2_PRIVATE_KEY_FILE
        if sm2_private.exists():
            sm2_key = gm.load_private_key(sm2_private)
        else:
            sm2_key = gm.write_private_key(sm2_private)
            self.sm2_public_key_path.write_text(sm2_key.public_key().text + "\n")
        self.sm2_public_key = sm2_key.public_key()
        self.private_keys: dict[str, crypto.PrivateKey] = {
            self.kid: key,
            gm.key_id(self.sm2_public_key): sm2_key,
        }
        self.authority = ensure_authority(self.data_dir)
        self.faults = FaultInjector()
        for fault in faults:
            self.faults.add(fault)
        self.document = build_document()
        self.console = Console(
            self.storage,
            self.data_dir,
            console or ConsoleSettings.from_env(),
            self.open_application,
            self.writer,
        )
        self.app = FaultMiddleware(self._starlette(), self.faults)

    def close(self) -> None:
        if self.writer is not self.storage:
            self.writer.close()
        self.storage.close()

    async def _durably(self, work: Callable[[], T]) -> T:
        """Run a durable write off the event loop when it has its own connection."""
        if self.writer is self.storage:
            return work()
        return await run_in_threadpool(work)

    # --- plumbing ----------------------------------------------------------------------

    def _starlette(self) -> Starlette:
        signed = self._signed
        routes = [
            Route("/v1/health", self.health, methods=["GET"]),
            Route("/v1/openapi.json", self.openapi, methods=["GET"]),
            Route("/v1/keys", signed(self.keys), methods=["GET"]),
            Route("/v1/catalog", signed(self.catalog), methods=["GET"]),
            Route("/v1/outbox/batch", signed(self.submit_batch), methods=["POST"]),
            Route("/v1/identity/verify", signed(self.verify_identity), methods=["POST"]),
            Route(
                "/v1/residents/{id_hash}/records/{record_type}",
                signed(self.record),
                methods=["GET"],
            ),
            Route("/v1/residents/{id_hash}/profile", signed(self.profile), methods=["GET"]),
            Route("/v1/applications/{reference}", signed(self.progress), methods=["GET"]),
            Route("/v1/queue/tickets", signed(self.issue_ticket), methods=["POST"]),
            Route("/v1/heartbeat", signed(self.heartbeat), methods=["POST"]),
            Route("/v1/certificates", signed(self.issue_certificate), methods=["POST"]),
            Route("/v1/certificates/{code}/pdf", signed(self.certificate_pdf), methods=["GET"]),
            Route("/v1/verify/{code}", self.verify_certificate, methods=["GET", "POST"]),
            Route("/v1/materials/sessions", signed(self.open_upload_session), methods=["POST"]),
            Route(
                "/v1/materials/sessions/{session_id}",
                signed(self.upload_session_status),
                methods=["GET"],
            ),
            Route("/v1/materials/files/{upload_id}", signed(self.uploaded_file), methods=["GET"]),
            Route("/m/{token}", self.phone_page, methods=["GET"]),
            Route("/m/{token}/files", self.phone_upload, methods=["POST"]),
            Route("/verify", self.verify_lookup_page, methods=["GET"]),
            Route("/verify/{code}", self.verify_page, methods=["GET"]),
            Route("/_admin/faults", self.admin_faults, methods=["GET", "POST", "DELETE"]),
            Route("/_admin/commands", self.admin_commands, methods=["POST"]),
            *self.console.routes(),
        ]
        # Unknown paths and methods answer in the API's error format too: a terminal takes
        # only the platform's own JSON errors as the platform speaking (not a proxy's page).
        return Starlette(
            routes=routes,
            exception_handlers={404: _http_error, 405: _http_error},
        )

    def _signed(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                body = await _read_body(request, s.MAX_BODY_BYTES)
                path = request.scope.get("raw_path") or request.url.path.encode()
                query = request.scope.get("query_string", b"")
                full_path = path.decode("latin-1") + (
                    "?" + query.decode("latin-1") if query else ""
                )
                try:
                    terminal_id = verify_request(
                        request.headers, request.method, full_path, body,
                        self.storage.terminal_key, self.storage.remember_nonce,
                    )  # fmt: skip
                except SignatureError as exc:
                    log.warning("refused request: %s (%s)", exc.code, exc)
                    return error(401, exc.code, str(exc))
                return await handler(request, terminal_id, body)
            except BadRequest as exc:
                return error(exc.status, exc.code, exc.reason, exc.headers)

        endpoint.__name__ = handler.__name__
        return endpoint

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            data = json.loads(body)
            check_depth(data, MAX_JSON_DEPTH)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(400, "bad_json", f"body is not JSON: {exc}") from None
        except (RecursionError, TooDeep):
            raise BadRequest(
                400, "bad_json", f"body nests deeper than {MAX_JSON_DEPTH} levels"
            ) from None
        return data

    @staticmethod
    def _model(model: Any, data: Any) -> Any:
        adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise BadRequest(422, "invalid_request", _describe(exc)) from None

    # --- unsigned ----------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__, "time": utc_now_iso()})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(self.document)

    # --- signed endpoints --------------------------------------------------------------

    async def keys(self, request: Request, terminal_id: str, body: bytes) -> Response:
        pem = self.public_key_path.read_text()
        return JSONResponse({"kid": self.kid, "algorithm": "HPKE X25519-HKDF-SHA256-AES-256-GCM",
                             "public_key_pem": pem, "sm2_kid": gm.key_id(self.sm2_public_key),
                             "sm2_public_key": self.sm2_public_key.text})  # fmt: skip

    async def catalog(self, request: Request, terminal_id: str, body: bytes) -> Response:
        etag = self.demo.catalog_etag
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        wanted = request.headers.get("if-none-match", "")
        tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
        if etag in tags or "*" in tags:
            return Response(status_code=304, headers=headers)
        return Response(self.demo.catalog_bytes, 200, headers, media_type="application/json")

    async def submit_batch(self, request: Request, terminal_id: str, body: bytes) -> Response:
        data = self._json(body)
        items = data.get("items") if isinstance(data, dict) else None
        if isinstance(items, list) and len(items) > s.MAX_BATCH_ITEMS:
            raise BadRequest(413, "batch_too_large", f"at most {s.MAX_BATCH_ITEMS} items per batch")
        batch: s.BatchRequest = self._model(s.BatchRequest, data)
        uploads: dict[str, list[str]] = {}  # application key -> phone uploads it carries
        materials: dict[str, list[Attachment]] = {}  # application key -> materials sealed in it

        def apply() -> list[dict[str, Any]]:
            known = self.writer.known_keys(list({i.key for i in batch.items}))
            prepared: list[NewItem | str] = []
            for item in batch.items:
                if item.key in known:
                    prepared.append(item.key)
                    continue
                prepared.append(self._prepare(item, uploads, materials))
            results = self.writer.submit_batch(terminal_id, prepared)
            for item, result in zip(batch.items, results, strict=True):
                if result["status"] == "accepted" and uploads.get(item.key):
                    # The phone's files are already here: the application links them, once.
                    self.writer.attach_uploads(item.key, uploads[item.key], terminal_id)
                if result["status"] == "accepted" and materials.get(item.key):
                    # Stored only when the item is new: a resend stores nothing again.
                    self.writer.add_materials(item.key, materials[item.key])
                if item.kind == "rating" and result["status"] == "accepted":
                    self.console.on_rating(terminal_id, item.key, item.display)
            return results

        return JSONResponse({"results": await self._durably(apply)})

    def _prepare(
        self,
        item: s.OutboxItem,
        uploads: dict[str, list[str]],
        materials: dict[str, list[Attachment]],
    ) -> NewItem:
        """Check what only the platform can check: the sealed data opens and makes sense."""
        reason = resident = None
        if item.sealed is None:
            if item.kind == "application":
                reason = "missing_sealed"
        else:
            reason, resident, uploads[item.key], materials[item.key] = self._check_sealed(item)
        return NewItem(
            key=item.key, kind=item.kind, stream=item.stream, seq=item.seq,
            local_ref=item.local_ref, created_at=item.created_at, attempt=item.attempt,
            display=item.display, sealed_kid=item.sealed.kid if item.sealed else None,
            sealed_blob=item.sealed.blob if item.sealed else None, reason=reason,
            resident_hash=resident,
        )  # fmt: skip

    def _check_sealed(
        self, item: s.OutboxItem
    ) -> tuple[str | None, str | None, list[str], list[Attachment]]:
        """(reason to reject or None, the applicant's id_hash if the sealed data names one,
        the ids of phone uploads the application carries, the materials sealed with it)."""
        assert item.sealed is not None
        try:
            blob = base64.b64decode(item.sealed.blob, validate=True)
            plain = crypto.open_sealed(
                self.private_keys, crypto.Sealed(item.sealed.kid, blob), item.key
            )
        except (binascii.Error, ValueError, crypto.SealError):
            return "cannot_open_sealed", None, [], []
        files: list[Attachment] = []
        if is_packed(plain):  # personal JSON followed by the materials, as binary
            try:
                plain, files = unpack(plain)
            except AttachmentError:
                return "bad_attachments", None, [], []
        try:
            content = json.loads(plain)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return None, None, [], files  # opaque payloads are the terminal's business
        numbers = _id_numbers(content)
        for number in numbers:
            if not id_number_acceptable(number):
                return "invalid_id_number", None, [], []
        raw = content.get("phone_uploads") if isinstance(content, dict) else None
        uploads = [str(u) for u in raw if isinstance(u, str)][:64] if isinstance(raw, list) else []
        return None, resident_id_hash(numbers[0]) if numbers else None, uploads, files

    async def verify_identity(self, request: Request, terminal_id: str, body: bytes) -> Response:
        req = self._model(_VERIFY, self._json(body))
        if isinstance(req, s.QrVerifyRequest):
            id_hash, why = self.storage.use_qr_token(req.token)
            resident = self.demo.by_hash.get(id_hash or "")
            if resident is None:
                reason = why if id_hash is None else NOT_VERIFIED
                return JSONResponse({"verified": False, "method": "qr", "reason": reason})
            return await self._verified("qr", resident, terminal_id)
        # The frame is judged first and alone: whether the resident exists never changes the
        # answer, nor the work done (an unknown, an invalid and a mismatched resident all get
        # NOT_VERIFIED after the same face check).
        # Off the event loop: a face detection takes milliseconds of CPU that heartbeats
        # queued behind it would otherwise wait for.
        unfit = await run_in_threadpool(check_face_jpeg, req.face_jpeg_b64)
        if unfit:
            return JSONResponse({"verified": False, "method": "face", "reason": unfit})
        number = req.id_number.upper()
        resident = self.demo.residents.get(number) if id_number_acceptable(number) else None
        if resident is None or not self._face_matches(resident, req.face_jpeg_b64):
            return JSONResponse({"verified": False, "method": "face", "reason": NOT_VERIFIED})
        return await self._verified("face", resident, terminal_id)

    @staticmethod
    def _face_matches(resident: Any, face_jpeg_b64: str) -> bool:
        """Stand-in for the province's 人证比对 (matching the face against the ID photo held
        by the public-security service): the reference server has no photos to match, so a
        frame with one clear face (check_face_jpeg) is taken as a match for a demo resident."""
        return True

    async def _verified(self, method: str, resident: Any, terminal_id: str) -> Response:
        verification_id = secrets.token_urlsafe(24)
        expires = time.time() + VERIFICATION_TTL_S
        info = resident.info()
        id_hash = resident_id_hash(info["id_number"])
        await self._durably(
            lambda: self.writer.add_verification(verification_id, terminal_id, id_hash, expires)
        )
        return JSONResponse({"verified": True, "method": method, "reason": "ok",
                             "verification_id": verification_id,
                             "expires_at": utc_now_iso(expires), "resident": info})  # fmt: skip

    def new_qr_token(self, id_number: str) -> dict[str, str] | None:
        """Demo tool (`kiosk platform qr-token`, run by whoever holds the server's data): a
        token the resident's phone would show. Not an API call: a terminal must never mint
        one for somebody else."""
        if id_number.upper() not in self.demo.residents:
            return None
        token = "KQR1-" + secrets.token_urlsafe(18)
        expires = time.time() + QR_TOKEN_TTL_S
        self.storage.add_qr_token(token, resident_id_hash(id_number), expires)
        return {"token": token, "expires_at": utc_now_iso(expires)}

    def _verified_resident(self, request: Request, terminal_id: str) -> str | None:
        verification_id = request.headers.get(HEADER_VERIFICATION, "")
        if not verification_id or len(verification_id) > 128:
            return None
        return self.storage.verified_resident(verification_id, terminal_id)

    def _resident_verified_here(
        self, request: Request, terminal_id: str, id_hash: str
    ) -> Resident | Response:
        """The resident `id_hash` if this terminal has a live verification of them, else the
        refusal. Unknown and unverified residents get the same 403: no way to probe who
        exists."""
        if self._verified_resident(request, terminal_id) != id_hash:
            return error(403, "verification_required",
                         f"verify the resident at this terminal first ({HEADER_VERIFICATION})")  # fmt: skip
        resident = self.demo.by_hash.get(id_hash)
        if resident is None:
            return error(404, "unknown_resident", "no resident with this id_hash")
        return resident

    async def record(self, request: Request, terminal_id: str, body: bytes) -> Response:
        id_hash = request.path_params["id_hash"]
        record_type = request.path_params["record_type"]
        if record_type not in ("social_insurance", "medical_insurance", "housing_fund"):
            return error(404, "unknown_record_type", f"no record type {record_type!r}")
        raw_months = request.query_params.get("months", "12")
        if not raw_months.isdigit() or not 1 <= int(raw_months) <= 60:
            return error(422, "invalid_request", "months must be an integer from 1 to 60")
        resident = self._resident_verified_here(request, terminal_id, id_hash)
        if isinstance(resident, Response):
            return resident
        return JSONResponse(self.demo.record(resident, record_type, int(raw_months)))

    async def profile(self, request: Request, terminal_id: str, body: bytes) -> Response:
        """What is on file for the resident this terminal has just verified, and for no one
        else: the same check as a record."""
        resident = self._resident_verified_here(
            request, terminal_id, request.path_params["id_hash"]
        )
        if isinstance(resident, Response):
            return resident
        phone = resident.data.get("phone")
        return JSONResponse({"phone": phone if isinstance(phone, str) else None})

    async def progress(self, request: Request, terminal_id: str, body: bytes) -> Response:
        reference = request.path_params["reference"]
        found = self.storage.find_item(
            reference, terminal_id, self._verified_resident(request, terminal_id)
        )
        if found is None or found["kind"] != "application":
            return error(404, "unknown_reference", "no application with this reference")
        display = found["display"] if isinstance(found["display"], dict) else {}
        code = display.get("service_code")
        service = self.demo.services.get(code) if isinstance(code, str) else None
        name = display.get("service_name") or (service["name_zh"] if service else None)
        if found["status"] == "rejected":
            status, steps = "rejected", [_step("受理", "Received", True, found["first_seen_at"])]
        else:
            status, steps = _demo_progress(found["first_seen_at"])
        return JSONResponse({
            "reference": found["reference"] or found["local_ref"], "local_ref": found["local_ref"],
            "service_code": code if isinstance(code, str) else None,
            "service_name": name if isinstance(name, str) else None,
            "status": status, "submitted_at": found["first_seen_at"], "steps": steps,
        })  # fmt: skip

    async def issue_ticket(self, request: Request, terminal_id: str, body: bytes) -> Response:
        req = self._model(s.TicketRequest, self._json(body))
        service = self.demo.services.get(req.service_code)
        if service is None:
            return error(404, "unknown_service", f"no service {req.service_code!r} in the catalog")
        prefix, counter = TICKET_PREFIX.get(service["category"], ("Z", "综合窗口"))
        ticket_no, ahead = self.storage.issue_ticket(terminal_id, req.service_code, prefix)
        return JSONResponse({"ticket_no": ticket_no, "service_code": req.service_code,
                             "service_name": service["name_zh"], "counter": counter,
                             "waiting_ahead": ahead, "issued_at": utc_now_iso()})  # fmt: skip

    async def heartbeat(self, request: Request, terminal_id: str, body: bytes) -> Response:
        req = self._model(s.HeartbeatRequest, self._json(body))
        report = req.model_dump(exclude={"acked_commands", "command_results"})
        if req.demo_secrets:  # the fleet operator must hear of it, whatever else is fine
            log.warning("terminal %s runs on demo secrets: %s", terminal_id,
                        ", ".join(req.demo_secrets))  # fmt: skip
        commands = self.storage.heartbeat(terminal_id, report, req.acked_commands)
        commands = self.console.on_heartbeat(terminal_id, req, commands)
        return JSONResponse({"server_time": utc_now_iso(), "commands": commands})

    # --- certificates ------------------------------------------------------------------

    async def issue_certificate(self, request: Request, terminal_id: str, body: bytes) -> Response:
        from kiosk.platform.server.certificates.content import CertificateRequestError

        req: s.CertificateRequest = self._model(s.CertificateRequest, self._json(body))
        if req.service_code not in self.demo.services:
            return error(404, "unknown_service", f"no service {req.service_code!r} in the catalog")
        # A certificate is personal data: only within a live verification of this resident
        # at this terminal, and unknown residents get the same answer as unverified ones.
        if self._verified_resident(request, terminal_id) != req.id_hash:
            return error(403, "verification_required",
                         f"verify the resident at this terminal first ({HEADER_VERIFICATION})")  # fmt: skip
        resident = self.demo.by_hash.get(req.id_hash)
        if resident is None:
            return error(404, "unknown_resident", "no resident with this id_hash")
        base = str(request.base_url)
        try:  # layout and signing take a fifth of a second: off the event loop
            issued = await run_in_threadpool(self._issue, req, resident, base)
        except CertificateRequestError as exc:
            return error(422, "invalid_request", str(exc))
        record = {
            "code": issued.code, "certificate_no": issued.certificate_no,
            "service_code": issued.service_code, "resident_hash": resident.id_hash,
            "terminal_id": terminal_id, "title": issued.title, "certifies": issued.certifies,
            "authority": issued.authority, "issued_at": issued.issued_at, "sha256": issued.sha256,
        }  # fmt: skip
        self.storage.add_certificate(record, issued.pdf)
        log.info("issued certificate %s (%s)", issued.certificate_no, issued.service_code)
        answer = s.CertificateIssued(
            **{k: v for k, v in record.items() if k not in ("resident_hash", "terminal_id")},
            verify_url=f"{base.rstrip('/')}/verify/{issued.code}",
            pdf_path=f"/v1/certificates/{issued.code}/pdf",
            size=len(issued.pdf),
        )
        return JSONResponse(answer.model_dump())

    def _issue(self, req: s.CertificateRequest, resident: Resident, base: str) -> IssuedCertificate:
        from kiosk.platform.server.certificates.content import build_content
        from kiosk.platform.server.certificates.issuing import issue

        content = build_content(req.service_code, resident, req.options)
        return issue(content, self.authority, base)

    async def certificate_pdf(self, request: Request, terminal_id: str, body: bytes) -> Response:
        code = request.path_params["code"]
        found = self.storage.certificate(code)
        # Only the terminal that printed it may fetch the document again (least privilege);
        # anyone else learns nothing, not even that the code exists.
        if found is None or found["terminal_id"] != terminal_id:
            return error(404, "unknown_certificate", "no certificate with this code")
        pdf = self.storage.certificate_pdf(code) or b""
        return Response(pdf, 200, {"Content-Disposition": f'inline; filename="{code}.pdf"'},
                        media_type="application/pdf")  # fmt: skip

    async def verify_certificate(self, request: Request) -> Response:
        from kiosk.platform.server.certificates.verifying import MAX_UPLOAD_BYTES

        code = request.path_params["code"]
        if request.method == "POST":
            try:
                held = await _read_body(request, MAX_UPLOAD_BYTES)
            except BadRequest as exc:
                return error(exc.status, exc.code, exc.reason)
            return JSONResponse((await self._verification(code, held)).model_dump())
        return JSONResponse((await self._verification(code)).model_dump())

    # --- materials from the resident's phone ---------------------------------------------

    async def open_upload_session(
        self, request: Request, terminal_id: str, body: bytes
    ) -> Response:
        from kiosk.platform.server import phone_upload as pu

        req: s.UploadSessionRequest = self._model(s.UploadSessionRequest, self._json(body))
        if req.service_code not in self.demo.services:
            return error(404, "unknown_service", f"no service {req.service_code!r} in the catalog")
        session_id, token = secrets.token_hex(16), secrets.token_urlsafe(24)
        expires = time.time() + pu.TTL_S
        self.storage.add_upload_session(session_id, token, terminal_id, req.service_code,
                                        list(req.materials), expires)  # fmt: skip
        answer = s.UploadSession(
            session_id=session_id, upload_url=f"{str(request.base_url).rstrip('/')}/m/{token}",
            expires_at=utc_now_iso(expires), max_file_bytes=pu.MAX_FILE_BYTES,
            max_files=pu.MAX_FILES,
        )  # fmt: skip
        return JSONResponse(answer.model_dump())

    async def upload_session_status(
        self, request: Request, terminal_id: str, body: bytes
    ) -> Response:
        found = self.storage.upload_session(session_id=request.path_params["session_id"])
        if found is None or found["terminal_id"] != terminal_id:
            return error(404, "unknown_session", "no upload session with this id")
        files = [s.UploadedFile(id=f["id"], material=f["material"], content_type=f["content_type"],
                                size=f["size"], sha256=f["sha256"],
                                received_at=utc_now_iso(f["received_at"]))
                 for f in self.storage.uploads(found["id"])]  # fmt: skip
        answer = s.UploadSessionStatus(
            session_id=found["id"], expires_at=utc_now_iso(found["expires_at"]),
            phone_connected=found["phone_hash"] is not None, files=files,
        )  # fmt: skip
        return JSONResponse(answer.model_dump())

    async def uploaded_file(self, request: Request, terminal_id: str, body: bytes) -> Response:
        found = self.storage.upload_data(request.path_params["upload_id"])
        session = self.storage.upload_session(session_id=found[0]) if found else None
        if found is None or session is None or session["terminal_id"] != terminal_id:
            return error(404, "unknown_file", "no uploaded file with this id")
        return Response(found[2], 200, media_type=found[1])

    def _phone_session(self, request: Request) -> tuple[dict[str, Any] | None, str]:
        """The session a phone's request belongs to, or None and why (in the resident's words)."""
        found = self.storage.upload_session(token=request.path_params["token"][:128])
        if found is None:
            return None, "二维码无效。"
        if found["expires_at"] < time.time() or found["closed_at"] is not None:
            return None, "二维码已过期。"
        return found, ""

    async def phone_page(self, request: Request) -> Response:
        from kiosk.platform.server import phone_upload as pu

        found, why = self._phone_session(request)
        if found is None:
            return HTMLResponse(pu.refused_page(why), 410)
        secret = request.cookies.get(pu.COOKIE) or secrets.token_urlsafe(24)
        if not self.storage.bind_upload_phone(found["id"], secret):
            return HTMLResponse(pu.refused_page("此二维码已在另一部手机上使用。"), 409)
        service = self.demo.services.get(found["service_code"], {})
        minutes = max(1, int((found["expires_at"] - time.time()) // 60))
        page = pu.upload_page(request.path_params["token"], str(service.get("name_zh", "")),
                              found["materials"], minutes)  # fmt: skip
        response = HTMLResponse(page)
        response.set_cookie(pu.COOKIE, secret, max_age=pu.TTL_S, httponly=True, samesite="strict",
                            path=f"/m/{request.path_params['token']}")  # fmt: skip
        return response

    async def phone_upload(self, request: Request) -> Response:
        from kiosk.platform.server import phone_upload as pu

        found, why = self._phone_session(request)
        if found is None:
            return error(410, "expired", why)
        secret = request.cookies.get(pu.COOKIE, "")
        if not secret or not self.storage.bind_upload_phone(found["id"], secret):
            return error(403, "other_phone", "此二维码已在另一部手机上使用。")
        material = request.query_params.get("material", "")
        if material not in found["materials"]:
            return error(422, "unknown_material", "这项材料不在本次办理的清单中。")
        try:
            data = await _read_body(request, pu.MAX_FILE_BYTES)
        except BadRequest:
            return error(
                413, "too_large", f"文件太大（超过 {pu.MAX_FILE_BYTES // 2**20} MB），请重新拍照。"
            )
        content_type = pu.sniff(data)
        if content_type is None:
            return error(415, "bad_type", "只能上传 JPG、PNG 图片或 PDF 文件。")
        upload_id = secrets.token_hex(16)
        digest = hashlib.sha256(data).hexdigest()
        if not self.storage.add_upload(upload_id, found["id"], material, content_type, data,
                                       digest, pu.MAX_FILES):  # fmt: skip
            return error(429, "too_many", f"每次最多上传 {pu.MAX_FILES} 个文件。")
        return JSONResponse({"id": upload_id, "material": material, "sha256": digest})

    async def verify_page(self, request: Request) -> Response:
        from kiosk.platform.server.certificates.page import verification_html

        found = await self._verification(request.path_params["code"])
        return HTMLResponse(verification_html(found), 404 if found.status == "unknown" else 200)

    async def verify_lookup_page(self, request: Request) -> Response:
        from kiosk.platform.server.certificates.page import lookup_html

        return HTMLResponse(lookup_html())

    async def _verification(self, raw_code: str, held: bytes | None = None) -> s.Verification:
        """The stored document's own check, or (with `held`) whether a file is that document."""
        from kiosk.platform.server.certificates.issuing import normalise_code
        from kiosk.platform.server.certificates.verifying import check_file

        code = normalise_code(raw_code)[:19]
        found = self.storage.certificate(code)
        if found is None:
            return s.Verification(code=code, status="unknown", reason="unknown_code")
        facts = s.CertificateFacts(**{k: v for k, v in found.items()
                                      if k not in ("resident_hash", "terminal_id")})  # fmt: skip
        issued = self.storage.certificate_pdf(code) or b""
        ca = self.authority.ca_cert
        checked = await run_in_threadpool(check_file, issued if held is None else held,
                                          found["sha256"], ca)  # fmt: skip
        reason = "issued" if held is None and checked.status == "genuine" else checked.reason
        return s.Verification(
            code=code, status="genuine" if checked.status == "genuine" else "tampered",
            reason=reason, certificate=facts,
            signature=s.SignatureReport(**asdict(checked.signature)),
        )  # fmt: skip

    def open_application(self, reference: str) -> dict[str, Any] | None:
        """The sealed personal data of an application (by reference or local_ref), opened
        only when a console user with the right role asks for a rater's contact."""
        row = self.console.tables.one(
            "SELECT key, sealed_kid, sealed_blob FROM items WHERE kind = 'application' AND "
            "(reference = ? OR local_ref = ?) LIMIT 1",
            (reference, reference),
        )
        if row is None or row[1] is None:
            return None
        try:
            blob = base64.b64decode(str(row[2]), validate=True)
            plain = crypto.open_sealed(
                self.private_keys, crypto.Sealed(str(row[1]), blob), str(row[0])
            )
            content = json.loads(plain)
        except (binascii.Error, ValueError, crypto.SealError, UnicodeDecodeError):
            return None
        return content if isinstance(content, dict) else None

    # --- admin (admin token or console login, whatever the peer; not in the API document) --

    def _admin_refusal(self, request: Request) -> tuple[str, Response | None]:
        actor = self.console.admin_actor(request)
        if actor is None:
            self.console.audit(request, "?", "refused", request.url.path, "no admin token or login")
            return "", error(401, "unauthorized", "admin endpoints need the admin token or a console login",
                             {"WWW-Authenticate": "Bearer"})  # fmt: skip
        return actor, None

    async def admin_faults(self, request: Request) -> Response:
        actor, refused = self._admin_refusal(request)
        if refused is not None:
            return refused
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                data = self._json(await _read_body(request, 65536))
                faults = [Fault.from_json(f) for f in (data if isinstance(data, list) else [data])]
            except (ValueError, TypeError) as exc:
                return error(422, "invalid_fault", str(exc))
            except BadRequest as exc:
                return error(exc.status, exc.code, exc.reason)
            for fault in faults:
                self.faults.add(fault)
        if request.method != "GET":
            self.console.audit(request, actor, f"faults_{request.method.lower()}", "faults",
                               json.dumps(self.faults.describe())[:500])  # fmt: skip
        return JSONResponse({"faults": self.faults.describe()})

    async def admin_commands(self, request: Request) -> Response:
        actor, refused = self._admin_refusal(request)
        if refused is not None:
            return refused
        try:
            data = self._json(await _read_body(request, 65536))
        except (ValueError, BadRequest):
            return error(422, "invalid_request", 'expected {"terminal_id": ..., "command": ...}')
        return await self.console.admin_command(request, actor, data)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, "body_too_large", f"body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, "body_too_large", f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _id_numbers(content: Any, depth: int = 0) -> list[str]:
    """Values of "id_number" fields in the sealed JSON (top level and one level down)."""
    found: list[str] = []
    if isinstance(content, dict) and depth <= 1:
        for key, value in content.items():
            if key.endswith("id_number") and isinstance(value, str):
                found.append(value.strip())
            elif isinstance(value, dict):
                found.extend(_id_numbers(value, depth + 1))
    return found


def _step(zh: str, en: str, done: bool, at: str | None) -> dict[str, Any]:
    return {"name_zh": zh, "name_en": en, "done": done, "at": at}


def _demo_progress(first_seen_at: str) -> tuple[str, list[dict[str, Any]]]:
    """Demo timeline: received now, reviewing after 2 minutes, completed after 10."""
    start = datetime.fromisoformat(first_seen_at.replace("Z", "+00:00"))
    age = (datetime.now(UTC) - start).total_seconds()
    review_at = utc_now_iso(start.timestamp() + 120)
    done_at = utc_now_iso(start.timestamp() + 600)
    steps = [
        _step("受理", "Received", True, first_seen_at),
        _step("审核", "Under review", age >= 120, review_at if age >= 120 else None),
        _step("办结", "Completed", age >= 600, done_at if age >= 600 else None),
    ]
    status = "completed" if age >= 600 else "reviewing" if age >= 120 else "received"
    return status, steps
