"""The platform's demo signing authority: a self-signed CA and a document-signing key made
with `cryptography` the first time a platform starts in a data directory.

The CA certificate is the trust root a verifier needs; the signing certificate carries the
authority's name and is what the PAdES signature names. Both are demo material: a province's
platform replaces them with its own CA (e.g. an SM2 one) without changing the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT_FILE = "certificate_ca.pem"
CA_KEY_FILE = "certificate_ca.key"
SIGNER_CERT_FILE = "certificate_signer.pem"
SIGNER_KEY_FILE = "certificate_signer.key"

CA_NAME = "示例市政务服务数据管理局 演示根证书"
SIGNER_NAME = "示例市政务服务电子印章（演示）"
ORGANISATION = "示例市人民政府（演示）"
VALID_YEARS = 10


@dataclass(frozen=True)
class AuthorityFiles:
    ca_cert: Path
    signer_cert: Path
    signer_key: Path


def ensure_authority(data_dir: Path) -> AuthorityFiles:
    """The CA and signer files in data_dir, made now if they are not there yet."""
    files = AuthorityFiles(
        data_dir / CA_CERT_FILE, data_dir / SIGNER_CERT_FILE, data_dir / SIGNER_KEY_FILE
    )
    if files.ca_cert.exists() and files.signer_cert.exists() and files.signer_key.exists():
        return files
    now = dt.datetime.now(dt.UTC) - dt.timedelta(
        minutes=5
    )  # a clock a little behind still trusts it
    until = now + dt.timedelta(days=365 * VALID_YEARS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = _name(CA_NAME)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SIGNER_NAME))
        .issuer_name(ca_subject)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.signer_key, _private_pem(signer_key), private=True)
    _write(data_dir / CA_KEY_FILE, _private_pem(ca_key), private=True)
    _write(files.signer_cert, signer_cert.public_bytes(serialization.Encoding.PEM))
    _write(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
    return files


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates only; the document signer signs documents only."""
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write whole or not at all (a crash mid-way must not leave half a key)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    if private:
        tmp.chmod(0o600)
    tmp.replace(path)
