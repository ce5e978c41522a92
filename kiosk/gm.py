"""国密 (Chinese commercial cryptography) for the platform link, as 密评 asks of government
systems: SM2 (GB/T 32918) signatures and key encapsulation, SM3 (GB/T 32905) hashes, SM4
(GB/T 32907) in GCM mode for sealed data. Chosen with `platform.crypto = "gm"`.

SM3 and SM4 come from OpenSSL through `cryptography`; SM2 from `gmssl` (pure Python, so
about 20 ms per signature or verification: `kiosk bench gm` measures it against Ed25519 and
HPKE). Signatures use SM2 with SM3 and the standard's default user id (Z_A), in hex.

Sealed blob: b"GM1" | len(C) (2 bytes) | C = SM2-encrypt(SM4 key), C1C3C2 order | nonce (12)
| SM4-GCM(plaintext, aad = info | bind). Keys on disk: the private key as 64 hex digits in a
0600 file, the public key as "sm2:" + 128 hex digits (x | y).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ALGORITHM = "SM2-SM3-SM4-GCM"
PUBLIC_PREFIX = "sm2:"
_MAGIC = b"GM1"
_INFO = b"kiosk-outbox-gm-v1|"
_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
_HEX = set("0123456789abcdef")


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


@dataclass(frozen=True)
class Sm2PublicKey:
    hex: str  # 128 lower-case hex digits: x | y

    def __post_init__(self) -> None:
        if len(self.hex) != 128 or not set(self.hex) <= _HEX:
            raise ValueError("an SM2 public key is 128 hex digits")

    @property
    def text(self) -> str:
        return PUBLIC_PREFIX + self.hex

    @classmethod
    def parse(cls, text: str) -> Sm2PublicKey:
        value = text.strip().lower()
        if not value.startswith(PUBLIC_PREFIX):
            raise ValueError(f"an SM2 public key starts with {PUBLIC_PREFIX!r}")
        return cls(value.removeprefix(PUBLIC_PREFIX))


@dataclass(frozen=True, repr=False)
class Sm2PrivateKey:
    hex: str  # 64 hex digits

    def __repr__(self) -> str:  # never in a log or a traceback
        return "Sm2PrivateKey(…)"

    def public_key(self) -> Sm2PublicKey:
        from gmssl import sm2

        point = sm2.CryptSM2(private_key=self.hex, public_key="")._kg(
            int(self.hex, 16), sm2.default_ecc_table["g"]
        )
        return Sm2PublicKey(point.lower())


def generate_private_key() -> Sm2PrivateKey:
    return Sm2PrivateKey(f"{secrets.randbelow(_N - 2) + 1:064x}")


def _nonce_hex() -> str:
    return f"{secrets.randbelow(_N - 1) + 1:064x}"


def sign(key: Sm2PrivateKey, data: bytes) -> str:
    from gmssl import sm2

    signer = sm2.CryptSM2(private_key=key.hex, public_key=key.public_key().hex, mode=1)
    return str(signer.sign_with_sm3(data, _nonce_hex()))


def verify(key: Sm2PublicKey, signature_hex: str, data: bytes) -> bool:
    from gmssl import sm2

    if len(signature_hex) != 128 or not set(signature_hex.lower()) <= _HEX:
        return False
    try:
        return bool(sm2.CryptSM2(private_key=None, public_key=key.hex, mode=1)
                    .verify_with_sm3(signature_hex.lower(), data))  # fmt: skip
    except (ValueError, ZeroDivisionError, TypeError, IndexError):  # a point not on the curve
        return False


def key_id(key: Sm2PublicKey) -> str:
    return "sm2-" + sm3_hex(bytes.fromhex(key.hex))[:12]


def seal(key: Sm2PublicKey, plaintext: bytes, bind: str) -> bytes:
    from gmssl import sm2

    content_key, nonce = os.urandom(16), os.urandom(12)
    wrapped = bytes(sm2.CryptSM2(private_key=None, public_key=key.hex, mode=1).encrypt(content_key))
    encryptor = Cipher(algorithms.SM4(content_key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_INFO + bind.encode())
    body = encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag
    return _MAGIC + len(wrapped).to_bytes(2, "big") + wrapped + nonce + body


def open_sealed(key: Sm2PrivateKey, blob: bytes, bind: str) -> bytes:
    """The plaintext, or ValueError: wrong key, wrong item, or tampered."""
    from gmssl import sm2

    if not blob.startswith(_MAGIC) or len(blob) < 5:
        raise ValueError("not a 国密 sealed blob")
    size = int.from_bytes(blob[3:5], "big")
    wrapped, rest = blob[5 : 5 + size], blob[5 + size :]
    if len(wrapped) != size or len(rest) < 12 + 16:
        raise ValueError("sealed blob is truncated")
    try:
        content_key = sm2.CryptSM2(private_key=key.hex, public_key="", mode=1).decrypt(wrapped)
    except (ValueError, ZeroDivisionError, TypeError, IndexError):
        raise ValueError("the wrapped key does not open") from None
    if not isinstance(content_key, bytes | bytearray) or len(content_key) != 16:
        raise ValueError("the wrapped key does not open with this key")
    nonce, body, tag = rest[:12], rest[12:-16], rest[-16:]
    decryptor = Cipher(algorithms.SM4(bytes(content_key)), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(_INFO + bind.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise ValueError("sealed data does not open with this key and item") from None


def write_private_key(path: Path, key: Sm2PrivateKey | None = None) -> Sm2PrivateKey:
    """A new (or the given) private key, written 0600 from the first byte; never overwrites."""
    key = key or generate_private_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"SM2 PRIVATE KEY\n{key.hex}\n")
    return key


def load_private_key(path: Path) -> Sm2PrivateKey:
    lines = path.read_text(encoding="ascii").split()
    if len(lines) != 4 or lines[:3] != ["SM2", "PRIVATE", "KEY"] or len(lines[3]) != 64:
        raise ValueError(f"{path}: not an SM2 private key file")
    value = lines[3].lower()
    if not set(value) <= _HEX or not 0 < int(value, 16) < _N:
        raise ValueError(f"{path}: not an SM2 private key")
    return Sm2PrivateKey(value)


def is_public_key_file(raw: bytes) -> bool:
    return raw.strip().lower().startswith(PUBLIC_PREFIX.encode())
