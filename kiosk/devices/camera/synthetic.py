"""Synthetic camera content: drawn faces, QR codes, and the emulated camera's video.

No real person's face is ever used or committed: tests and the emulated camera draw a simple
shaded face that OpenCV's stock Haar frontal-face cascade detects (checked in the tests).
Everything here is generated at run time; nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

WIDTH, HEIGHT = 640, 480
BACKGROUND = (90, 90, 90)  # mid grey, BGR
# Bump when the drawing changes so cached emulated videos are regenerated.
EMULATED_VERSION = 1


def blank_frame(width: int = WIDTH, height: int = HEIGHT, level: int = 128) -> np.ndarray:
    import numpy as np

    return np.full((height, width, 3), level, np.uint8)


def draw_face(
    frame: np.ndarray, centre: tuple[int, int] | None = None, size: int = 240
) -> np.ndarray:
    """Draw a frontal face about `size` px across (the width Haar reports) onto frame, in place.

    The layout follows what the Haar features look for: dark brows and eyes over brighter
    cheeks, a bright nose bridge between the eyes, hair framing the face.
    """
    import cv2

    h, w = frame.shape[:2]
    cx, cy = centre if centre is not None else (w // 2, h // 2)
    s = size / 240.0

    def p(x: float, y: float) -> tuple[int, int]:
        return int(cx + x * s), int(cy + y * s)

    def ax(a: float, b: float) -> tuple[int, int]:
        return max(1, int(a * s)), max(1, int(b * s))

    def t(px: float) -> int:
        return max(1, int(px * s))

    aa = cv2.LINE_AA
    cv2.ellipse(frame, p(0, -20), ax(115, 140), 0, 0, 360, (30, 30, 40), -1, aa)  # hair
    cv2.ellipse(frame, p(0, 10), ax(95, 125), 0, 0, 360, (150, 175, 215), -1, aa)  # skin
    for ex in (-40, 40):
        cv2.ellipse(frame, p(ex, -35), ax(28, 8), 0, 180, 360, (40, 40, 50), t(6), aa)  # brow
        cv2.ellipse(frame, p(ex, -15), ax(20, 10), 0, 0, 360, (235, 235, 235), -1, aa)  # eye
        cv2.circle(frame, p(ex, -15), t(8), (40, 30, 20), -1, aa)  # iris
    cv2.line(frame, p(0, -10), p(-8, 30), (110, 130, 170), t(3), aa)  # nose
    cv2.ellipse(frame, p(0, 32), ax(14, 6), 0, 0, 180, (100, 120, 160), t(3), aa)
    cv2.ellipse(frame, p(0, 65), ax(32, 12), 0, 0, 180, (60, 60, 140), t(6), aa)  # mouth
    return frame


def face_frame(
    centre: tuple[int, int] | None = None,
    size: int = 240,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> np.ndarray:
    """A camera-like frame with one synthetic face (slightly soft, like a real lens)."""
    import cv2
    import numpy as np

    frame = np.full((height, width, 3), BACKGROUND, np.uint8)
    draw_face(frame, centre, size)
    return cv2.GaussianBlur(frame, (0, 0), 0.8)


def faces_frame(
    centres: list[tuple[int, int]], size: int = 200, width: int = WIDTH, height: int = HEIGHT
) -> np.ndarray:
    import cv2
    import numpy as np

    frame = np.full((height, width, 3), BACKGROUND, np.uint8)
    for centre in centres:
        draw_face(frame, centre, size)
    return cv2.GaussianBlur(frame, (0, 0), 0.8)


def qr_frame(text: str, width: int = WIDTH, height: int = HEIGHT, module_px: int = 6) -> np.ndarray:
    """A frame with a QR code of `text` (UTF-8) centred on a light background."""
    import cv2
    import numpy as np
    import qrcode
    from qrcode.image.pil import PilImage

    code = qrcode.QRCode(border=4, box_size=module_px)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    img = np.array(code.make_image(image_factory=PilImage).convert("L"), dtype=np.uint8)
    side = min(img.shape[0], height, width)
    if side != img.shape[0]:
        img = np.asarray(cv2.resize(img, (side, side), interpolation=cv2.INTER_NEAREST))
    frame = np.full((height, width), 200, np.uint8)
    y, x = (height - side) // 2, (width - side) // 2
    frame[y : y + side, x : x + side] = img
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def scene_frames(
    scene: str, qr_text: str, fps: float, width: int = WIDTH, height: int = HEIGHT
) -> list[np.ndarray]:
    """Frames for the emulated camera: "face" (a face drifting a little), "qr", or "mixed"
    (3 s of face then 2 s of QR code, looping)."""
    import math

    frames: list[np.ndarray] = []
    n_face = max(1, round(3 * fps)) if scene in ("face", "mixed") else 0
    n_qr = max(1, round(2 * fps)) if scene in ("qr", "mixed") else 0
    size = int(width * 0.38)
    for i in range(n_face):
        dx = int(6 * math.sin(2 * math.pi * i / max(n_face, 1)))
        frames.append(face_frame((width // 2 + dx, height // 2), size, width, height))
    if n_qr:
        qr = qr_frame(qr_text, width, height)
        frames.extend(qr for _ in range(n_qr))
    return frames


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """Write frames as Motion-JPEG in AVI (decodable by every OpenCV build); atomic."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video {tmp}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    os.replace(tmp, path)
    return path


def write_image_folder(folder: Path, frames: list[np.ndarray]) -> Path:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        if not cv2.imwrite(str(folder / f"frame_{i:05d}.png"), frame):
            raise OSError(f"cannot write {folder}")
    return folder


def emulated_video(
    data_dir: Path, scene: str, qr_text: str, width: int, height: int, fps: float
) -> Path:
    """The emulated camera's looping video under data_dir, generated once and cached."""
    import hashlib

    key = f"{EMULATED_VERSION}|{scene}|{qr_text}|{width}x{height}|{fps:g}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = Path(data_dir).expanduser() / "camera" / f"emulated-{scene}-{digest}.avi"
    if not path.is_file():
        write_video(path, scene_frames(scene, qr_text, fps, width, height), fps)
    return path
