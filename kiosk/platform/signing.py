"""Request signing, shared by the client and the server.

canonical = "\n".join([METHOD, PATH_WITH_QUERY, TIMESTAMP, NONCE, sha256_hex(body)]). The path
is the raw path as sent on the wire (percent-encoded), so both sides hash the same bytes.

Two schemes; the server picks the one it has on file for the terminal (never the one the
request names, so nobody can downgrade):
- ed25519: the terminal signs with its own private key, the platform stores only the public
  key (`kiosk platform enroll`), so nothing on the server can sign as a terminal. The
  signature is hex of the 64-byte Ed25519 signature.
- sm2: 国密 (`platform.crypto = "gm"`): SM2 with SM3 over the canonical string, whose body
  digest is then SM3 as well (kiosk/gm.py); the platform stores the SM2 public key.
- hmac-sha256: a shared secret, hex(HMAC-SHA256(secret, canonical)). Kept only for the demo
  (the built-in platform and `platform serve --demo`): the demo secret is public.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk import gm

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


def canonical_string(
    method: str, path: str, timestamp: str, nonce: str, body: bytes, scheme: str = ""
) -> bytes:
    digest = gm.sm3_hex(body) if scheme == "sm2" else body_digest(body)
    return "\n".join([method.upper(), path, timestamp, nonce, digest]).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    msg = canonical_string(method, path, timestamp, nonce, body)
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


class Signer(Protocol):
    """What signs a terminal's requests (its Ed25519 key, or the demo HMAC secret)."""

    scheme: str

    def sign(self, canonical: bytes) -> str: ...


class HmacSigner:
    scheme = "hmac-sha256"

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def sign(self, canonical: bytes) -> str:
        return hmac.new(self._secret, canonical, hashlib.sha256).hexdigest()


class Sm2Signer:
    scheme = "sm2"

    def __init__(self, private_key: gm.Sm2PrivateKey) -> None:
        self._key = private_key
        self.public_key_text = private_key.public_key().text  # "sm2:…", what enroll takes

    def sign(self, canonical: bytes) -> str:
        return gm.sign(self._key, canonical)


class Ed25519Signer:
    scheme = "ed25519"

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key

    def sign(self, canonical: bytes) -> str:
        return self._key.sign(canonical).hex()

    @property
    def public_key_b64(self) -> str:
        return public_key_b64(self._key.public_key())


@dataclass(frozen=True)
class TerminalKey:
    """What the server has on file for a terminal: an Ed25519 public key (base64 of the 32
    raw bytes) or, for the demo terminal only, the HMAC secret itself."""

    scheme: Literal["ed25519", "sm2", "hmac-sha256"]
    material: str

    def verify(self, canonical: bytes, sig: str) -> bool:
        if self.scheme == "sm2":
            return gm.verify(gm.Sm2PublicKey.parse(self.material), sig, canonical)
        if self.scheme == "hmac-sha256":
            expected = hmac.new(self.material.encode(), canonical, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, sig.lower())
        try:
            raw_sig = bytes.fromhex(sig)
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.material))
            key.verify(raw_sig, canonical)
        except (ValueError, InvalidSignature):
            return False
        return True


def public_key_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def generate_terminal_key(private_path: Path) -> Ed25519PrivateKey:
    """A new terminal key pair; the private key is written 0600 from the first byte."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def load_terminal_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def read_public_key(text: str) -> tuple[str, str]:
    """A terminal's public key as enroll takes it -> (scheme, what the platform stores):
    Ed25519 as PEM or base64 of the raw 32 bytes; SM2 as "sm2:" + 128 hex digits."""
    text = text.strip()
    if text.lower().startswith(gm.PUBLIC_PREFIX):
        return "sm2", gm.Sm2PublicKey.parse(text).text
    return "ed25519", _ed25519_public(text)


def _ed25519_public(text: str) -> str:
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return public_key_b64(key)
    raw = base64.b64decode(text, validate=True)
    Ed25519PublicKey.from_public_bytes(raw)  # raises ValueError unless 32 good bytes
    return base64.b64encode(raw).decode("ascii")


def as_signer(secret_or_signer: str | Signer) -> Signer:
    return HmacSigner(secret_or_signer) if isinstance(secret_or_signer, str) else secret_or_signer


def sign_request(
    secret: str | Signer,
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
    signer = as_signer(secret)
    return {
        HEADER_TERMINAL: terminal_id,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signer.sign(
            canonical_string(method, path, ts, nonce, body, signer.scheme)
        ),
    }


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    key_for: Callable[[str], TerminalKey | str | None],
    remember_nonce: Callable[[str, str, float], bool],
    now: float | None = None,
) -> str:
    """Check a request's signature, clock and nonce; return the terminal id or raise.

    `key_for(terminal_id)` gives the terminal's key (a plain str: an HMAC secret) or None for
    an unknown terminal;
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
    if len(sig) > 256:
        raise SignatureError("bad_signature", "signature too long")
    key = key_for(terminal_id)
    if key is None:
        raise SignatureError("bad_signature", "unknown terminal")
    if isinstance(key, str):
        key = TerminalKey("hmac-sha256", key)
    if not key.verify(canonical_string(method, path, ts, nonce, body, key.scheme), sig):
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
