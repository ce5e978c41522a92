"""HMAC-SHA256 request signing, shared by the client and the server.

canonical = "\n".join([METHOD, PATH_WITH_QUERY, TIMESTAMP, NONCE, sha256_hex(body)]); the
signature is hex(HMAC-SHA256(terminal secret, canonical)). The path is the raw path as sent
on the wire (percent-encoded), so both sides hash the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping

MAX_SKEW_S = 300  # |server clock - request timestamp| allowed
NONCE_RETENTION_S = 900  # > 2 x skew: a replay inside the timestamp window is always caught

HEADER_TERMINAL = "X-Terminal-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"


class SignatureError(Exception):
    """Why a request was refused; `code` is the contract's error string."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code  # bad_signature | stale_timestamp | replayed


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, timestamp, nonce, body_digest(body)]).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    msg = canonical_string(method, path, timestamp, nonce, body)
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def sign_request(
    secret: str,
    terminal_id: str,
    method: str,
    path: str,
    body: bytes = b"",
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four signing headers for one request. `path` includes the query string."""
    ts = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    return {
        HEADER_TERMINAL: terminal_id,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, method, path, ts, nonce, body),
    }


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    secret_for: Callable[[str], str | None],
    remember_nonce: Callable[[str, str, float], bool],
    now: float | None = None,
) -> str:
    """Check a request's signature, clock and nonce; return the terminal id or raise.

    `secret_for(terminal_id)` gives the secret or None for an unknown terminal;
    `remember_nonce(terminal_id, nonce, now)` stores the nonce and returns False if it was
    already there. The nonce is stored only once the signature and clock are good, so a
    forger cannot fill the cache.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    terminal_id = lower.get(HEADER_TERMINAL.lower(), "")
    ts = lower.get(HEADER_TIMESTAMP.lower(), "")
    nonce = lower.get(HEADER_NONCE.lower(), "")
    sig = lower.get(HEADER_SIGNATURE.lower(), "")
    if not (terminal_id and ts and nonce and sig):
        raise SignatureError("bad_signature", "missing signing headers")
    if len(nonce) != 32 or any(c not in "0123456789abcdef" for c in nonce.lower()):
        raise SignatureError("bad_signature", "nonce must be 32 hex characters")
    if not ts.isdigit() or len(ts) > 12:
        raise SignatureError("bad_signature", "timestamp must be integer unix seconds")
    secret = secret_for(terminal_id)
    if secret is None:
        raise SignatureError("bad_signature", "unknown terminal")
    expected = signature(secret, method, path, ts, nonce, body)
    if not hmac.compare_digest(expected, sig.lower()):
        raise SignatureError("bad_signature", "signature does not match")
    now = time.time() if now is None else now
    if abs(now - int(ts)) > MAX_SKEW_S:
        raise SignatureError("stale_timestamp", f"clock skew {int(now) - int(ts)} s")
    if not remember_nonce(terminal_id, nonce.lower(), now):
        raise SignatureError("replayed", "nonce already used")
    return terminal_id


def resident_id_hash(id_number: str) -> str:
    """How a resident is named in URLs: never the ID number itself (logs, proxies)."""
    return hashlib.sha256(b"kiosk-resident-v1|" + id_number.strip().upper().encode()).hexdigest()
