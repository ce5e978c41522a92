"""Helpers for tests and demos against the reference server (no pytest here)."""

from __future__ import annotations

import base64
import io
import json
import uuid
from pathlib import Path
from typing import Any

from kiosk.offline import crypto

DEMO_ID_NUMBER = "11010119900101901X"  # 测试一, kiosk/devices/idcard/synthetic.py


def make_item(
    public_key_path: Path | None,
    *,
    kind: str = "application",
    payload: dict[str, Any] | None = None,
    stream: str = "session-1",
    seq: int = 0,
    key: str | None = None,
    local_ref: str | None = None,
    display: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One outbox item in wire form, sealed to the platform key (unsealed if path is None)."""
    key = key or str(uuid.uuid4())
    item: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "stream": stream,
        "seq": seq,
        "local_ref": local_ref or f"KIOSK-DEMO-0001-20261122-{seq:06d}",
        "created_at": "2026-11-22T08:00:00Z",
        "attempt": 0,
        "display": display
        if display is not None
        else {"service_code": "SB002", "masked_name": "测*一"},
    }
    if public_key_path is not None:
        body = json.dumps(payload or {"id_number": DEMO_ID_NUMBER, "phone": "13800000901"}).encode()
        sealed = crypto.seal(crypto.load_public_key(public_key_path), body, bind=key)
        item["sealed"] = {"kid": sealed.kid, "blob": base64.b64encode(sealed.blob).decode("ascii")}
    return item


def demo_jpeg(width: int = 240, height: int = 320, fmt: str = "JPEG", face: bool = True) -> bytes:
    """A synthetic frame of the given size with one drawn face (no real person), or none."""
    import numpy as np
    from PIL import Image

    from kiosk.devices.camera.synthetic import BACKGROUND, draw_face

    frame = np.full((height, width, 3), BACKGROUND, np.uint8)
    if face:
        draw_face(frame, size=int(min(width, height) * 0.6))
    out = io.BytesIO()
    Image.fromarray(frame[:, :, ::-1]).save(out, fmt)
    return out.getvalue()
