"""The terminal's client for the platform API (httpx, signed requests, typed errors).

Every response is checked against the API's models before a caller sees it: a body that is
not what the document promises raises PlatformBadResponse, so a screen never meets a
KeyError. TLS verification is always on for https; `ca_file` can only add a private CA.
Errors: PlatformUnavailable (network, 408, 429, 5xx, the overall deadline, and any error that
is not in the platform's own JSON error body, e.g. a proxy's `403 text/html`; carries
retry_after), PlatformAuthError (401), PlatformNotFound (404), PlatformRejected (other 4xx),
PlatformBadResponse. Each request has an overall deadline (`deadline`, default 3 x timeout)
besides httpx's per-read timeout, so a trickling peer cannot hold a caller. The platform's
`Date` header gives the terminal's clock skew (`clock_skew_s`).
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import json
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from kiosk import __version__
from kiosk.platform import schemas as s
from kiosk.platform.deadline import DeadlineTransport
from kiosk.platform.errors import (
    PlatformAuthError,
    PlatformBadResponse,
    PlatformNotFound,
    PlatformRejected,
    PlatformUnavailable,
)
from kiosk.platform.jsonsafe import loads_bounded
from kiosk.platform.signing import Signer, resident_id_hash, sign_request

M = TypeVar("M", bound=BaseModel)
MAX_RETRY_AFTER_S = 24 * 3600.0  # a server asking for more is wrong; a day bounds the damage
MAX_REPLY_DEPTH = 32  # no API reply nests deeper; deeper is refused before any model sees it
HEADER_VERIFICATION = "X-Verification-Id"
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SKEW_REASON = re.compile(r"clock skew (-?\d+) s")


def tls_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """The system/certifi trust store, plus a private CA if given. Never unverified."""
    ctx = ssl.create_default_context()
    try:
        import certifi

        ctx.load_verify_locations(certifi.where())
    except ImportError:  # the system store from create_default_context stays
        pass
    if ca_file:
        ctx.load_verify_locations(str(Path(ca_file).expanduser()))
    return ctx


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "1e400" is inf and "nan" is nan: neither is a delay
        return min(max(0.0, seconds), MAX_RETRY_AFTER_S) if seconds == seconds else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        delay = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, delay), MAX_RETRY_AFTER_S)


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        terminal_id: str,
        secret: str | Signer,
        *,
        timeout: float = 10,
        deadline: float | None = None,
        ca_file: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.terminal_id = terminal_id
        self._secret = secret
        # id_hash -> (verification id, monotonic expiry): records for a resident verified
        # at this terminal a moment ago go with that verification, and with nothing else.
        self._verifications: dict[str, tuple[str, float]] = {}
        self.demo_secrets: list[str] = []  # reported in every heartbeat (kiosk/demo.py)
        self._clock = clock  # signs requests; compared with the platform's Date header
        self.deadline_s = 3.0 * timeout if deadline is None else deadline
        self.clock_skew_s: float | None = None  # terminal minus platform, last measured
        self._deadline_transport: DeadlineTransport | None = None
        if transport is None:
            self._deadline_transport = DeadlineTransport(verify=tls_context(ca_file))
            transport = self._deadline_transport
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": f"kiosk/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        signed: bool = True,
    ) -> httpx.Response:
        """Send one signed request; return a 2xx/304 response or raise a typed error."""
        content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        extra = dict(headers or {})
        if content:
            extra["Content-Type"] = "application/json"
        request = self._http.build_request(method, path, content=content or None, headers=extra)
        if signed:
            raw_path = request.url.raw_path.decode("ascii")
            request.headers.update(
                sign_request(self._secret, self.terminal_id, method, raw_path, content,
                             now=self._clock())
            )  # fmt: skip
        sent_at = self._clock()
        try:
            with self._deadline():
                response = self._http.send(request)
        except httpx.TimeoutException as exc:
            raise PlatformUnavailable(f"timeout: {type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:  # connect refused, reset, dropped mid-body, TLS failure
            raise PlatformUnavailable(f"network error: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        own = _platform_error(response)
        if (200 <= status < 300 or status == 304 or own is not None) and _is_json_or_empty(
            response
        ):
            self._note_clock(response, (sent_at + self._clock()) / 2)
        if 200 <= status < 300 or status == 304:
            return response
        code = _describe(own) if own else (response.reason_phrase or "error")
        retry = parse_retry_after(response.headers.get("Retry-After"), self._clock())
        if status in (408, 429) or status >= 500:
            raise PlatformUnavailable(f"HTTP {status}: {code}", retry_after=retry, status=status)
        if own is None:
            # Not the platform speaking (a proxy, captive portal or load balancer page): the
            # request never reached it, so nothing is known about the items. Try again later.
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise PlatformUnavailable(
                f"HTTP {status} ({kind}) not from the platform: a proxy or captive portal?",
                retry_after=retry,
                status=status,
            )
        if status == 401:
            skew = self.clock_skew_s
            if own.error == "stale_timestamp":
                found = _SKEW_REASON.search(own.reason or "")
                if found and skew is None:
                    skew = -float(found.group(1))  # the platform says its clock minus ours
            raise PlatformAuthError(code, own.error, clock_skew_s=skew)
        if status == 404:
            raise PlatformNotFound(code, own.error)
        if 400 <= status < 500:
            raise PlatformRejected(status, code, own.error)
        raise PlatformBadResponse(f"unexpected HTTP {status} from {path}")

    def _deadline(self) -> contextlib.AbstractContextManager[None]:
        if self._deadline_transport is None:
            return contextlib.nullcontext()
        return self._deadline_transport.deadline(self.deadline_s)

    def _note_clock(self, response: httpx.Response, local: float) -> None:
        """Terminal clock minus the platform's, from its Date header (1 s resolution)."""
        value = response.headers.get("Date")
        if not value:
            return
        try:
            server = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        # Date is truncated to the second: the platform's clock was in [server, server + 1).
        self.clock_skew_s = round(local - (server + 0.5), 1)

    @staticmethod
    def _parse(model: type[M], response: httpx.Response) -> M:
        try:
            data = loads_bounded(response.content, MAX_REPLY_DEPTH)
        except ValueError as exc:  # not JSON, not UTF-8, nested too deep
            raise PlatformBadResponse(f"{response.request.url.path}: not JSON ({exc})") from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise PlatformBadResponse(
                f"{response.request.url.path}: {model.__name__} {where}: {first['msg']}"
            ) from None

    # --- API -------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._parse(s.Health, self.request("GET", "/v1/health", signed=False)).model_dump()

    def submit_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per item, in order: {key, status, reference?, reason?, first_seen_at}."""
        response = self.request("POST", "/v1/outbox/batch", {"items": items})
        results = self._parse(s.BatchResponse, response).results
        sent = [item.get("key") for item in items]
        if [r.key for r in results] != sent:
            raise PlatformBadResponse(
                f"batch results do not match the items sent ({len(results)} for {len(sent)})"
            )
        return [r.model_dump(exclude_none=True) for r in results]

    def catalog(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """(catalog, etag), or (None, etag) when the catalog has not changed since `etag`."""
        headers = {"If-None-Match": etag} if etag else None
        response = self.request("GET", "/v1/catalog", headers=headers)
        new_etag = response.headers.get("ETag") or etag
        if response.status_code == 304:
            return None, new_etag
        return self._parse(s.Catalog, response).model_dump(mode="json"), new_etag

    def public_key(self) -> dict[str, Any]:
        return self._parse(s.PublicKey, self.request("GET", "/v1/keys")).model_dump()

    def verify_identity(
        self,
        *,
        id_number: str | None = None,
        face_jpeg: bytes | None = None,
        qr_token: str | None = None,
    ) -> dict[str, Any]:
        """Face (id_number + JPEG bytes) or QR token. {verified, method, reason, resident?}."""
        if qr_token is not None:
            body: dict[str, Any] = {"method": "qr", "token": qr_token}
        elif id_number is not None and face_jpeg is not None:
            body = {"method": "face", "id_number": id_number,
                    "face_jpeg_b64": base64.b64encode(face_jpeg).decode("ascii")}  # fmt: skip
        else:
            raise ValueError("give qr_token, or id_number with face_jpeg")
        response = self.request("POST", "/v1/identity/verify", body)
        result = self._parse(s.VerifyResult, response).model_dump()
        if result["verified"] and result["verification_id"] and result["resident"]:
            ttl = _seconds_until(result.get("expires_at")) or 0.0
            self._verifications[result["resident"]["id_hash"]] = (
                result["verification_id"],
                time.monotonic() + ttl,
            )
        return result

    def verification_for(self, id_number: str) -> str | None:
        """The live verification id of this resident at this terminal, if any."""
        found = self._verifications.get(resident_id_hash(id_number))
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def forget_verifications(self) -> None:
        """At session end: the next person cannot ride on this one's verification."""
        self._verifications.clear()

    def record(
        self,
        id_number: str,
        record_type: str,
        *,
        months: int = 12,
        verification_id: str | None = None,
    ) -> dict[str, Any]:
        """A resident's record (social_insurance, medical_insurance, housing_fund); the ID
        number is sent only as its hash. Needs a verification of this resident at this
        terminal (`verify_identity` first; its id is remembered for a few minutes)."""
        path = f"/v1/residents/{resident_id_hash(id_number)}/records/{quote(record_type, safe='')}"
        verification_id = verification_id or self.verification_for(id_number)
        headers = {HEADER_VERIFICATION: verification_id} if verification_id else None
        response = self.request("GET", f"{path}?months={int(months)}", headers=headers)
        return self._parse(s.Record, response).model_dump()

    def profile(self, id_number: str, *, verification_id: str | None = None) -> s.Profile:
        """What the platform has on file for this resident (a phone number), to offer
        prefilled. Needs a live verification of this resident at this terminal."""
        verification_id = verification_id or self.verification_for(id_number)
        headers = {HEADER_VERIFICATION: verification_id} if verification_id else None
        path = f"/v1/residents/{resident_id_hash(id_number)}/profile"
        return self._parse(s.Profile, self.request("GET", path, headers=headers))

    def progress(self, reference: str, *, verification_id: str | None = None) -> dict[str, Any]:
        """Progress by platform reference or by the terminal's local_ref from a receipt: of an
        application this terminal submitted, or of the resident the verification is for."""
        headers = {HEADER_VERIFICATION: verification_id} if verification_id else None
        path = f"/v1/applications/{quote(reference.strip(), safe='')}"
        return self._parse(s.Progress, self.request("GET", path, headers=headers)).model_dump()

    def issue_ticket(self, service_code: str) -> dict[str, Any]:
        response = self.request("POST", "/v1/queue/tickets", {"service_code": service_code})
        return self._parse(s.Ticket, response).model_dump()

    def issue_certificate(
        self,
        id_number: str,
        service_code: str,
        options: Mapping[str, str] | None = None,
        *,
        verification_id: str | None = None,
    ) -> s.CertificateIssued:
        """Ask the platform to issue a certificate (证明): a signed A4 PDF with a verification
        code. The ID number is sent only as its hash; like a record, it needs a verification
        of this resident at this terminal."""
        body = {"service_code": service_code, "id_hash": resident_id_hash(id_number),
                "options": dict(options or {})}  # fmt: skip
        verification_id = verification_id or self.verification_for(id_number)
        headers = {HEADER_VERIFICATION: verification_id} if verification_id else None
        response = self.request("POST", "/v1/certificates", body, headers=headers)
        return self._parse(s.CertificateIssued, response)

    def certificate_pdf(self, issued: s.CertificateIssued) -> bytes:
        """The signed PDF, checked to be the document the platform described."""
        response = self.request("GET", issued.pdf_path, headers={"Accept": "application/pdf"})
        pdf = response.content
        if not pdf.startswith(b"%PDF-") or hashlib.sha256(pdf).hexdigest() != issued.sha256:
            raise PlatformBadResponse(f"{issued.pdf_path}: not the PDF that was issued")
        return pdf

    def open_upload_session(self, service_code: str, materials: Iterable[str]) -> s.UploadSession:
        """A one-time phone upload session for these materials; show `upload_url` as a QR."""
        body = {"service_code": service_code, "materials": list(materials)}
        return self._parse(s.UploadSession, self.request("POST", "/v1/materials/sessions", body))

    def upload_session_status(self, session_id: str) -> s.UploadSessionStatus:
        path = f"/v1/materials/sessions/{quote(session_id, safe='')}"
        return self._parse(s.UploadSessionStatus, self.request("GET", path))

    def uploaded_file(self, file: s.UploadedFile) -> bytes:
        """One uploaded file's bytes, checked against the digest the platform listed."""
        response = self.request("GET", f"/v1/materials/files/{quote(file.id, safe='')}",
                                headers={"Accept": file.content_type})  # fmt: skip
        if hashlib.sha256(response.content).hexdigest() != file.sha256:
            raise PlatformBadResponse(f"uploaded file {file.id}: not the bytes listed")
        return response.content

    def heartbeat(
        self,
        version: str,
        devices: Iterable[Mapping[str, Any]] = (),
        outbox_depth: int = 0,
        dead_letters: int = 0,
        acked_commands: Iterable[int] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Report status; the reply lists commands not yet acknowledged (ack them next time).

        The terminal's clock skew as last measured from the platform's Date header goes too,
        so the console sees a clock drifting before the platform starts refusing it.
        `extra` adds the optional fields (paper, clock, lock state, command results, ...)."""
        body: dict[str, Any] = {
            **(extra or {}),
            "version": version,
            "devices": [dict(d) for d in devices],
            "outbox_depth": outbox_depth,
            "dead_letters": dead_letters,
            "acked_commands": list(acked_commands),
            "demo_secrets": list(self.demo_secrets),
        }
        if self.clock_skew_s is not None:
            body["clock_skew_s"] = self.clock_skew_s
        response = self.request("POST", "/v1/heartbeat", body)
        return self._parse(s.HeartbeatResponse, response).model_dump()


def _seconds_until(when: str | None) -> float | None:
    """Seconds from now until an ISO 8601 UTC time from the platform, None if unreadable."""
    if not when:
        return None
    try:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        return max(0.0, min(moment.timestamp() - time.time(), MAX_RETRY_AFTER_S))
    except (ValueError, OverflowError):
        return None


def _describe(error: s.ErrorBody) -> str:
    if error.reason and error.reason != error.error:
        return f"{error.error}: {error.reason}"
    return error.error


def _is_json_or_empty(response: httpx.Response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return not response.content or kind.split(";")[0].strip().lower() == "application/json"


def _platform_error(response: httpx.Response) -> s.ErrorBody | None:
    """The platform's own error body ({"error": code, "reason": text} as JSON), else None."""
    if response.status_code < 400 or not response.content or not _is_json_or_empty(response):
        return None
    try:
        body = s.ErrorBody.model_validate(loads_bounded(response.content, MAX_REPLY_DEPTH))
    except (ValueError, ValidationError):
        return None
    return body if _ERROR_CODE.fullmatch(body.error) else None
