"""Sealing personal data to the platform's public key (HPKE: X25519, HKDF-SHA256, AES-256-GCM).

The terminal never needs to read a resident's data back once it is queued, so it holds only
the platform's public key: a stolen disk reveals nothing. The idempotency key is bound into
the HPKE `info`, so a sealed blob moved to another item fails to open. The key id is stored
with each blob so the platform can rotate keys.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk import gm

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_INFO_PREFIX = b"kiosk-outbox-v1|"


class SealError(Exception):
    """A sealed blob could not be opened: wrong key, wrong item, or tampered."""


@dataclass(frozen=True)
class Sealed:
    kid: str
    blob: bytes


# A platform key: X25519 (HPKE, the default) or SM2 (国密, kiosk/gm.py: SM2 + SM4-GCM).
PublicKey = X25519PublicKey | gm.Sm2PublicKey
PrivateKey = X25519PrivateKey | gm.Sm2PrivateKey


def key_id(public_key: PublicKey) -> str:
    if isinstance(public_key, gm.Sm2PublicKey):
        return gm.key_id(public_key)
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def seal(public_key: PublicKey, plaintext: bytes, bind: str) -> Sealed:
    if isinstance(public_key, gm.Sm2PublicKey):
        return Sealed(gm.key_id(public_key), gm.seal(public_key, plaintext, bind))
    blob = SUITE.encrypt(plaintext, public_key, info=_INFO_PREFIX + bind.encode())
    return Sealed(key_id(public_key), blob)


def open_sealed(private_keys: dict[str, PrivateKey], sealed: Sealed, bind: str) -> bytes:
    key = private_keys.get(sealed.kid)
    if key is None:
        raise SealError(f"no private key for key id {sealed.kid}")
    if isinstance(key, gm.Sm2PrivateKey):
        try:
            return gm.open_sealed(key, sealed.blob, bind)
        except ValueError as exc:
            raise SealError(str(exc)) from exc
    try:
        return SUITE.decrypt(sealed.blob, key, info=_INFO_PREFIX + bind.encode())
    except (InvalidTag, ValueError) as exc:
        raise SealError("sealed data does not open with this key and item") from exc


def generate_keypair(private_path: Path, public_path: Path) -> X25519PrivateKey:
    """Write a new key pair: the private key 0600 (platform side), the public key for terminals."""
    key = X25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def load_public_key(path: Path) -> PublicKey:
    raw = path.read_bytes()
    if gm.is_public_key_file(raw):
        return gm.Sm2PublicKey.parse(raw.decode("ascii"))
    key = serialization.load_pem_public_key(raw)
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{path}: not an X25519 public key")
    return key


def load_private_key(path: Path) -> X25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{path}: not an X25519 private key")
    return key
