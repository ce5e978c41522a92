"""What 国密 (platform.crypto = "gm") costs, against the default algorithms in the same run:
a request signature made and checked (SM2 with SM3 vs Ed25519), an outbox item of 2 KB
sealed and opened (SM2 + SM4-GCM vs HPKE X25519 + AES-256-GCM), and 1 MB hashed (SM3 vs
SHA-256). SM2 is gmssl's pure Python; SM3, SM4 and the baselines are OpenSSL."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from kiosk.bench import BenchResult, median_time

ORDER = 80


def run(quick: bool) -> Iterable[BenchResult]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk import gm
    from kiosk.offline import crypto
    from kiosk.platform.signing import TerminalKey, public_key_b64

    repeat = 5 if quick else 30
    message = b"POST\n/v1/heartbeat\n1796000000\n" + b"0" * 32 + b"\n" + b"f" * 64
    sm2_key, ed_key = gm.generate_private_key(), Ed25519PrivateKey.generate()
    sm2_pub = TerminalKey("sm2", sm2_key.public_key().text)
    ed_pub = TerminalKey("ed25519", public_key_b64(ed_key.public_key()))

    def sm2_round() -> None:
        assert sm2_pub.verify(message, gm.sign(sm2_key, message))

    def ed_round() -> None:
        assert ed_pub.verify(message, ed_key.sign(message).hex())

    yield BenchResult.compare(
        "gm request signature sign+verify (SM2/SM3)", median_time(sm2_round, repeat) * 1000,
        "ms", median_time(ed_round, repeat) * 1000, note="baseline: Ed25519",
    )  # fmt: skip

    item = os.urandom(2048)
    x_key = X25519PrivateKey.generate()
    sm2_kid, x_kid = gm.key_id(sm2_key.public_key()), crypto.key_id(x_key.public_key())
    keys: dict[str, crypto.PrivateKey] = {sm2_kid: sm2_key, x_kid: x_key}

    def sm_seal() -> None:
        crypto.open_sealed(keys, crypto.seal(sm2_key.public_key(), item, "k"), "k")

    def x_seal() -> None:
        crypto.open_sealed(keys, crypto.seal(x_key.public_key(), item, "k"), "k")

    yield BenchResult.compare(
        "gm outbox item 2 KB seal+open (SM2+SM4-GCM)", median_time(sm_seal, repeat) * 1000,
        "ms", median_time(x_seal, repeat) * 1000, note="baseline: HPKE X25519 + AES-256-GCM",
    )  # fmt: skip

    block = os.urandom(1 << 20)
    sm3 = median_time(lambda: gm.sm3_hex(block), repeat)
    sha = median_time(lambda: hashlib.sha256(block).hexdigest(), repeat)
    yield BenchResult.compare("gm hash 1 MB (SM3)", 1 / sm3, "MB/s", 1 / sha,
                              note="baseline: SHA-256")  # fmt: skip
