"""Materials (photos, PDFs) sealed with the application they belong to, as binary.

The sealed plaintext of an item with attachments is a small framed container instead of
JSON, so a 500 KB photo costs 500 KB (not 667 KB of base64 inside a JSON string, decoded
again at the platform):

    MAGIC | u32 json_len | personal JSON | u16 count |
    count x (u16 name_len | name | u16 type_len | content type | u32 data_len | data)

Big-endian lengths. An item without attachments stays plain JSON, as before.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"KATT1\n"
MAX_ATTACHMENTS = 32


class AttachmentError(ValueError):
    """A container that does not parse: truncated, or lengths that do not add up."""


@dataclass(frozen=True)
class Attachment:
    name: str  # the 所需材料 item, e.g. 户口簿 (page 1)
    content_type: str  # image/jpeg, image/png or application/pdf
    data: bytes


def pack(personal_json: bytes, attachments: list[Attachment] | tuple[Attachment, ...]) -> bytes:
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValueError(f"at most {MAX_ATTACHMENTS} attachments per item")
    parts = [MAGIC, struct.pack(">I", len(personal_json)), personal_json,
             struct.pack(">H", len(attachments))]  # fmt: skip
    for item in attachments:
        name, kind = item.name.encode(), item.content_type.encode()
        parts += [struct.pack(">H", len(name)), name, struct.pack(">H", len(kind)), kind,
                  struct.pack(">I", len(item.data)), item.data]  # fmt: skip
    return b"".join(parts)


def is_packed(plain: bytes) -> bool:
    return plain.startswith(MAGIC)


def unpack(plain: bytes) -> tuple[bytes, list[Attachment]]:
    """(personal JSON bytes, attachments); AttachmentError if it does not parse."""
    view = memoryview(plain)
    pos = len(MAGIC)

    def take(size: int) -> bytes:
        nonlocal pos
        if pos + size > len(view):
            raise AttachmentError("attachment container is truncated")
        chunk = bytes(view[pos : pos + size])
        pos += size
        return chunk

    if not is_packed(plain):
        raise AttachmentError("not an attachment container")
    (json_len,) = struct.unpack(">I", take(4))
    personal = take(json_len)
    (count,) = struct.unpack(">H", take(2))
    if count > MAX_ATTACHMENTS:
        raise AttachmentError(f"{count} attachments: at most {MAX_ATTACHMENTS}")
    found = []
    for _ in range(count):
        name = take(struct.unpack(">H", take(2))[0]).decode("utf-8", "replace")
        kind = take(struct.unpack(">H", take(2))[0]).decode("ascii", "replace")
        data = take(struct.unpack(">I", take(4))[0])
        found.append(Attachment(name, kind, data))
    if pos != len(view):
        raise AttachmentError("bytes after the last attachment")
    return personal, found
