"""The reference server's face check: one clear face in a JPEG of sensible size.

A stand-in for the province's 人证比对 (comparing the live face with the ID card photo held
by the public-security service), which a reference server cannot do: it has no photos. It
refuses what no real matcher would accept — not a JPEG, too small, too large, no face,
several faces — with OpenCV's stock Haar cascade (the same detector the terminal uses).

The image's size is read from its header before anything is decoded: a 20-byte header can
claim 65000 x 65000 pixels (4 GB decoded), and such a frame is refused at once.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

FACE_MIN_PX = 96  # a face crop smaller than this cannot be matched
FACE_MAX_PX = 4096  # larger than any camera frame a terminal sends
MAX_PIXELS = FACE_MAX_PX * FACE_MAX_PX


def check_face_jpeg(b64: str) -> str | None:
    """None when the frame holds one clear face, else the reason code."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return "not_base64"
    if not raw.startswith(b"\xff\xd8"):
        return "not_jpeg"
    from PIL import Image, UnidentifiedImageError  # lazy: only face checks need Pillow

    try:
        with Image.open(io.BytesIO(raw)) as image:  # reads the header only
            if image.format != "JPEG":
                return "not_jpeg"
            width, height = image.size
            if min(width, height) < FACE_MIN_PX:
                return "face_too_small"
            if max(width, height) > FACE_MAX_PX:
                return "image_too_large"
            image.draft("L", (width, height))  # decode straight to grey, no colour copy
            gray = image.convert("L")
            gray.load()
    except Image.DecompressionBombError:  # Pillow's own header check: even larger
        return "image_too_large"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return "not_jpeg"
    return _one_clear_face(gray)


def _one_clear_face(gray: Image.Image) -> str | None:
    import numpy as np

    from kiosk.devices.camera.face import SECOND_FACE_RATIO, detect_faces

    boxes = detect_faces(np.asarray(gray))
    if not boxes:
        return "no_face"
    largest = boxes[0][2]
    if sum(1 for box in boxes if box[2] >= SECOND_FACE_RATIO * largest) > 1:
        return "several_faces"
    return None
