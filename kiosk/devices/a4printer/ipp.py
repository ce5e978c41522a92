"""IPP Get-Printer-Attributes (RFC 8011 §4.2.5, encoding RFC 8010) over plain HTTP, for
the A4 printer's status poll.

Written here rather than through pycups because pycups 2.0.4 (the newest release) never
frees the answer of getPrinterAttributes (OpenPrinting/pycups#44, fixed upstream in #64
after that release): ~0.5 KiB per call, measured, which is ~20 MiB a day at one poll every
2 s. Jobs (print, follow, cancel) still go through pycups: they are rare.
"""

from __future__ import annotations

import http.client
import itertools
import struct

IPP_VERSION = b"\x02\x00"
GET_PRINTER_ATTRIBUTES = 0x000B
_OPERATION_TAG, _END_TAG = 0x01, 0x03
_INTEGER, _BOOLEAN, _ENUM = 0x21, 0x22, 0x23
_CHARSET, _LANGUAGE, _URI, _KEYWORD = 0x47, 0x48, 0x45, 0x44
_requests = itertools.count(1)

IppValue = int | bool | str
IppAttributes = dict[str, IppValue | list[IppValue]]


class IppError(Exception):
    """The printer answered with an error status, or not in IPP at all."""


def _attribute(tag: int, name: str, value: bytes) -> bytes:
    encoded = name.encode()
    return struct.pack(">BH", tag, len(encoded)) + encoded + struct.pack(">H", len(value)) + value


def encode_request(uri: str, requested: list[str], request_id: int) -> bytes:
    """A Get-Printer-Attributes request for `requested` of the printer at `uri`."""
    body = IPP_VERSION + struct.pack(">HI", GET_PRINTER_ATTRIBUTES, request_id)
    body += bytes([_OPERATION_TAG])
    body += _attribute(_CHARSET, "attributes-charset", b"utf-8")
    body += _attribute(_LANGUAGE, "attributes-natural-language", b"en")
    body += _attribute(_URI, "printer-uri", uri.encode())
    for n, name in enumerate(requested):  # a 1setOf: later values carry no name
        body += _attribute(_KEYWORD, "" if n else "requested-attributes", name.encode())
    return body + bytes([_END_TAG])


def _value(tag: int, raw: bytes) -> IppValue | None:
    if tag in (_INTEGER, _ENUM) and len(raw) == 4:
        return int(struct.unpack(">i", raw)[0])
    if tag == _BOOLEAN and len(raw) == 1:
        return raw != b"\x00"
    if 0x30 <= tag <= 0x4F and tag not in (0x31, 0x32, 0x33, 0x34):  # strings (not dates,
        return raw.decode("utf-8", "replace")  # resolutions, ranges, collections)
    return None  # out-of-band (unknown, no-value) or a type a status never reads


def decode_response(data: bytes) -> tuple[int, IppAttributes]:
    """The status code and the attributes (pycups' shape: one value plain, several a list)."""
    if len(data) < 9 or data[0] not in (1, 2):
        raise IppError(f"not an IPP answer ({len(data)} bytes)")
    status = struct.unpack(">H", data[2:4])[0]
    values: dict[str, list[IppValue]] = {}
    name, pos, group = "", 8, 0
    try:
        while pos < len(data):
            tag = data[pos]
            pos += 1
            if tag == _END_TAG:
                break
            if tag < 0x10:  # a new attribute group
                group = tag
                continue
            (name_len,) = struct.unpack(">H", data[pos : pos + 2])
            name = data[pos + 2 : pos + 2 + name_len].decode() if name_len else name
            pos += 2 + name_len
            (value_len,) = struct.unpack(">H", data[pos : pos + 2])
            raw = data[pos + 2 : pos + 2 + value_len]
            if len(raw) != value_len:
                raise IppError("IPP answer cut short")
            pos += 2 + value_len
            value = _value(tag, raw)
            if (
                value is not None and group != _OPERATION_TAG
            ):  # charset, language: not the printer's
                values.setdefault(name, []).append(value)
    except (struct.error, UnicodeDecodeError) as exc:
        raise IppError(f"IPP answer malformed: {exc}") from None
    return status, {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def get_printer_attributes(
    host: str, port: int, queue: str, requested: list[str], *, timeout_s: float = 5.0
) -> IppAttributes:
    """Ask cupsd (or any IPP printer) for `requested`; IppError or OSError when it cannot."""
    uri = f"ipp://{host}:{port}/printers/{queue}"
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("POST", f"/printers/{queue}", encode_request(uri, requested, next(_requests)),
                     {"Content-Type": "application/ipp"})  # fmt: skip
        answer = conn.getresponse()
        data = answer.read(1 << 20)
        if answer.status != 200:
            raise IppError(f"HTTP {answer.status} {answer.reason}")
    finally:
        conn.close()
    status, attributes = decode_response(data)
    if status >= 0x0400:  # client-error-* / server-error-* (0x0406: no such printer)
        raise IppError(f"IPP status 0x{status:04x}")
    return attributes
