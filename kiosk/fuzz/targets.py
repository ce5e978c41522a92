"""The fuzz targets: what faces the outside, and the only way each may fail."""

from __future__ import annotations

import base64
import json
import random
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.fuzz.runner import Case, Crash, Target, mutate

if TYPE_CHECKING:
    from kiosk.devices.smartcard.cards import CardApplication

URL_SEEDS = [
    "https://zwfw.example.gov.cn/api", "https://10.0.0.5:8443", "http://127.0.0.1:8700",
    "http://[::1]:8700/", "http://localhost:x@127.0.0.2:18080", "https://a@b:c@d",
    "https://[fe80::1%25eth0]:1", "https://host:99999", "https://xn--fiqs8s.cn",
]  # fmt: skip


def _nested(rng: random.Random) -> bytes:
    """Deep or wide JSON: the shapes that broke recursive parsers."""
    depth = rng.choice((10, 100, 999, 1_000, 5_000, 100_000))
    opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
    inner = rng.choice((b"1", b"null", b'"x"', b"[]"))
    return opener * depth + inner + closer * depth


# --- config and URLs --------------------------------------------------------------------


@contextmanager
def _url() -> Iterator[Case]:
    from kiosk.config import ConfigError, KioskConfig

    def case(rng: random.Random) -> None:
        raw = mutate(rng, rng.choice(URL_SEEDS).encode()).decode("utf-8", "replace")
        try:
            config = KioskConfig.model_validate({"platform": {"mode": "remote", "url": raw}})
        except ConfigError:
            return
        if config.platform.url:  # empty: no URL configured, nothing is reached
            _accepted_url_is_sane(config.platform.url)

    yield case


def _accepted_url_is_sane(url: str) -> None:
    """What the check let through must be a plain https (or loopback http) URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if "@" in parts.netloc or not parts.hostname:
        raise Crash(f"accepted a URL with userinfo or no host: {url!r}")
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise Crash(f"accepted plain http to a non-loopback host: {url!r}")


@contextmanager
def _config() -> Iterator[Case]:
    from kiosk.config import ConfigError, load_config

    shipped = (Path(__file__).parents[2] / "config" / "kiosk.toml").read_bytes()
    seeds = [shipped, b'[terminal]\ndata_dir = "~nosuchuser/x"\n',
             b'[platform]\nurl = "http://localhost:x@127.0.0.2:18080"\nmode = "remote"\n',
             b"[outbox]\npath = \"/tmp/\\u0000x\"\n"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kiosk.toml"

        def case(rng: random.Random) -> None:
            path.write_bytes(mutate(rng, rng.choice(seeds), rng.randint(1, 3)))
            try:
                config = load_config(path, environ={})
            except ConfigError:
                return
            # what loaded must be usable: the paths resolve without surprises
            config.terminal.data_path.joinpath("x")
            config.terminal.log_path.joinpath("x")
            config.platform.server_data_path(config.terminal.data_path)

        yield case


# --- the platform client ------------------------------------------------------------------


@contextmanager
def _retry_after() -> Iterator[Case]:
    from kiosk.platform.client import MAX_RETRY_AFTER_S, parse_retry_after

    seeds = [b"120", b"0", b"1.5", b"Wed, 21 Oct 2015 07:28:00 GMT", b"1e400", b"-5",
             b"Fri, 31 Dec 9999 23:59:59 GMT", b"Mon, 01 Jan 0001 00:00:00 GMT", b"nan"]  # fmt: skip

    def case(rng: random.Random) -> None:
        value = mutate(rng, rng.choice(seeds)).decode("latin-1")
        delay = parse_retry_after(value)
        if delay is not None and not 0 <= delay <= MAX_RETRY_AFTER_S:
            raise Crash(f"Retry-After {value!r} -> {delay!r}")

    yield case


@dataclass
class _Reply:
    """What the fuzzed platform answers next."""

    status: int = 200
    body: bytes = b""
    retry: bytes = b""  # the Retry-After header


@contextmanager
def _client() -> Iterator[Case]:
    import httpx

    from kiosk.platform.client import PlatformClient
    from kiosk.platform.errors import PlatformError

    replies = [
        b'{"server_time": "2026-12-01T00:00:00Z", "commands": []}',
        b'{"error": "bad_signature", "reason": "x"}',
        b'{"results": [{"key": "k", "status": "accepted", "first_seen_at": "x"}]}',
        b'{"verified": true, "method": "face", "reason": "ok", "verification_id": "v",'
        b' "expires_at": "2026-12-01T00:05:00Z", "resident": null}',
        b'{"ticket_no": "A001", "service_code": "SB001", "service_name": "x", "counter": "1",'
        b' "waiting_ahead": 0, "issued_at": "x"}',
    ]
    reply = _Reply()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(reply.status, content=reply.body,
                              headers=[(b"Retry-After", reply.retry)])  # fmt: skip

    client = PlatformClient("http://127.0.0.1:9", "KIOSK-FUZZ-0001", "fuzz-secret",
                            transport=httpx.MockTransport(handler))  # fmt: skip
    calls = [
        lambda: client.heartbeat("1.0"),
        lambda: client.submit_batch([{"key": "k"}]),
        lambda: client.verify_identity(qr_token="t"),
        lambda: client.issue_ticket("SB001"),
        lambda: client.catalog(),
        lambda: client.progress("ZW1"),
        lambda: client.public_key(),
    ]

    def case(rng: random.Random) -> None:
        body = _nested(rng) if rng.random() < 0.2 else mutate(rng, rng.choice(replies))
        reply.status = rng.choice((200, 200, 200, 304, 400, 401, 404, 422, 429, 503))
        reply.body = body
        reply.retry = mutate(rng, b"1e400").replace(b"\r", b"").replace(b"\n", b"")
        try:
            rng.choice(calls)()
        except PlatformError:
            return

    try:
        yield case
    finally:
        client.close()


# --- card readers ---------------------------------------------------------------------------


@contextmanager
def _tlv() -> Iterator[Case]:
    from kiosk.devices.smartcard import apdu

    seeds = [bytes.fromhex("6F1A840E315041592E5359532E4444463031A5088801015F2D027A68"),
             bytes.fromhex("9F38039F1A02"), b"\x70" * 1 + b"\x82\xff\xff"]  # fmt: skip

    def case(rng: random.Random) -> None:
        data = (bytes.fromhex("7081") + b"\x02") * rng.randint(1, 2000) if rng.random() < 0.1 \
            else mutate(rng, rng.choice(seeds))  # fmt: skip
        try:
            apdu.find_tag(data, 0x5A)
            apdu.find_all(data, 0x61)
            apdu.parse_dol(data)
        except apdu.TlvError:
            return

    yield case


def _hostile_card(rng: random.Random, app: CardApplication) -> Callable[[bytes], bytes]:
    """The emulated card's real answers, some of them mutated or replaced by known traps."""
    from kiosk.devices.smartcard import apdu

    traps = [
        apdu.tlv(0x6F, apdu.tlv(0xA5, apdu.tlv(0x88, b"\xff"))) + b"\x90\x00",  # SFI 0xFF
        b"\x70\x81\x03" * 1_000 + b"\x90\x00",  # 1,000-deep TLV
        apdu.tlv(0x6F, apdu.tlv(0xA5, apdu.tlv(0x9F38, b"\x9f\x66\x83\xff\xff\xff" * 40)))
        + b"\x90\x00",  # a PDOL asking for gigabytes
        b"\x61\x10", b"\x6c\x00", b"", b"\x90",
    ]  # fmt: skip
    rate = rng.choice((0.05, 0.2, 0.5))

    def transmit(command: bytes) -> bytes:
        real = app.process(command)
        if rng.random() >= rate:
            return real
        return rng.choice(traps) if rng.random() < 0.3 else mutate(rng, real)

    return transmit


@contextmanager
def _emv() -> Iterator[Case]:
    from kiosk.devices.base import DeviceError
    from kiosk.devices.smartcard import apdu, cards
    from kiosk.devices.smartcard.emv import read_bank_card

    def case(rng: random.Random) -> None:
        app = cards.BankCardApp(pse=rng.random() < 0.5, pan_in_5a=rng.random() < 0.5,
                                gpo_format=rng.choice((1, 2)), t0=rng.random() < 0.5)  # fmt: skip
        try:
            read_bank_card(_hostile_card(rng, app))
        except (DeviceError, apdu.ApduError, apdu.TlvError):
            return

    yield case


@contextmanager
def _ssc() -> Iterator[Case]:
    from kiosk.devices.base import DeviceError
    from kiosk.devices.smartcard import apdu, cards
    from kiosk.devices.smartcard.ssc import read_social_security

    def case(rng: random.Random) -> None:
        app = cards.SocialSecurityCardApp(t0=rng.random() < 0.5)
        try:
            read_social_security(_hostile_card(rng, app))
        except (DeviceError, apdu.ApduError, apdu.TlvError):
            return

    yield case


# --- the reference server -------------------------------------------------------------------


@contextmanager
def _server() -> Iterator[Case]:
    from starlette.testclient import TestClient

    from kiosk.demo import DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET
    from kiosk.platform.server.app import PlatformServer
    from kiosk.platform.signing import sign_request
    from kiosk.platform.testing import demo_jpeg, make_item

    with tempfile.TemporaryDirectory() as tmp:
        server = PlatformServer(Path(tmp), demo=True)
        item = make_item(server.public_key_path)
        face = base64.b64encode(demo_jpeg(96, 96)).decode()
        bodies = [
            ("POST", "/v1/outbox/batch", json.dumps({"items": [item]}).encode()),
            ("POST", "/v1/heartbeat", b'{"version": "1", "devices": [], "acked_commands": [1]}'),
            ("POST", "/v1/identity/verify", json.dumps({"method": "face", "face_jpeg_b64": face,
                                                        "id_number": "11010119900101901X"}).encode()),
            ("POST", "/v1/identity/verify", b'{"method": "qr", "token": "KQR1-x"}'),
            ("POST", "/v1/queue/tickets", b'{"service_code": "SB001"}'),
            ("GET", "/v1/applications/ZW1", b""),
            ("GET", "/v1/residents/" + "0" * 64 + "/records/housing_fund?months=12", b""),
        ]  # fmt: skip
        try:
            with TestClient(server.app, raise_server_exceptions=True) as http:

                def case(rng: random.Random) -> None:
                    method, path, seed = rng.choice(bodies)
                    if rng.random() < 0.5:
                        path = mutate(rng, path.encode()).decode("ascii", "ignore") or "/"
                        path = "/" + path.lstrip("/").replace("#", "").replace("?", "", 1) \
                            if rng.random() < 0.5 else path  # fmt: skip
                    body = _nested(rng) if rng.random() < 0.15 else mutate(rng, seed)
                    # what an HTTP client can send at all: printable ASCII, no fragment
                    path = "".join(c for c in path if 33 <= ord(c) < 127 and c != "#")
                    path = "/" + path.lstrip("/")  # "//host" would name another server
                    headers = sign_request(DEMO_TERMINAL_SECRET, DEMO_TERMINAL_ID, method,
                                           path, body)  # fmt: skip
                    reply = http.request(method, path, content=body, headers=headers)
                    if reply.status_code >= 500:
                        raise Crash(
                            f"{method} {path[:80]} -> {reply.status_code} {reply.text[:100]}"
                        )

                yield case
        finally:
            server.close()


@contextmanager
def _jpeg() -> Iterator[Case]:
    import struct

    from kiosk.platform.server.face_check import check_face_jpeg
    from kiosk.platform.testing import demo_jpeg

    seeds = [demo_jpeg(96, 96), demo_jpeg(120, 100, face=False)]

    def case(rng: random.Random) -> None:
        raw = bytearray(rng.choice(seeds))
        if rng.random() < 0.3:  # a header that claims a huge image
            at = raw.find(b"\xff\xc0")
            if at >= 0:
                raw[at + 5 : at + 9] = struct.pack(">HH", rng.choice((65000, 12000, 0, 1)),
                                                   rng.choice((65000, 12000, 0, 1)))  # fmt: skip
        data = mutate(rng, bytes(raw), rng.randint(0, 3))
        why = check_face_jpeg(base64.b64encode(data).decode())
        if why is not None and not isinstance(why, str):
            raise Crash(f"face check answered {why!r}")

    yield case


@contextmanager
def _gm() -> Iterator[Case]:
    from kiosk import gm
    from kiosk.offline.crypto import Sealed, SealError, open_sealed, seal
    from kiosk.platform.signing import TerminalKey

    key = gm.generate_private_key()
    kid = gm.key_id(key.public_key())
    blob = seal(key.public_key(), b'{"id_number": "11010119900101901X"}', "k").blob
    signed = gm.sign(key, b"message").encode()
    public = TerminalKey("sm2", key.public_key().text)

    def case(rng: random.Random) -> None:
        if rng.random() < 0.5:
            forged = mutate(rng, signed).decode("latin-1")
            if public.verify(b"message", forged) and forged.lower() != signed.decode():
                raise Crash(f"a mutated SM2 signature verified: {forged!r}")
            return
        try:
            open_sealed({kid: key}, Sealed(kid, mutate(rng, blob)), "k")
        except SealError:
            return

    yield case


TARGETS = {
    t.name: t
    for t in (
        Target("url", "platform.url check -> ConfigError", _url),
        Target("config", "config file loader -> ConfigError", _config),
        Target("retry-after", "parse_retry_after -> None or 0..86400 s", _retry_after),
        Target("client", "platform client replies -> PlatformError", _client),
        Target("tlv", "BER-TLV / DOL parsing -> TlvError", _tlv),
        Target("emv", "bank card (EMV) reader -> DeviceError/ApduError/TlvError", _emv),
        Target("ssc", "social security card reader -> DeviceError/ApduError/TlvError", _ssc),
        Target("server", "reference server requests -> 2xx/4xx, never 5xx", _server),
        Target("jpeg", "server face check -> a reason code, header read first", _jpeg),
        Target("gm", "国密 SM2 signatures and SM2+SM4 sealed blobs -> False / SealError", _gm),
    )
}
