"""Face quality check for the identity step: is this frame good enough to send for matching?

The terminal does not match faces (the ID photo needs a licensed WLT decoder); it picks a
frame with one face that is large, centred, lit and sharp, and the platform verifies it.

Detector: OpenCV's stock Haar frontal-face cascade, shipped inside the pinned
opencv-python-headless 4.14 wheel (no model download, no extra package). YuNet
(FaceDetectorYN) would need an ONNX file that no package we pin ships, so it was not an
option here. Measured on this shared 2-core VM (`kiosk bench camera`): check_face runs at
~20-65 frames/s on 640x480 (depending on load), above the camera's 15 fps, and finds
the drawn test faces from 90 px across up. Detecting on a 320 px wide copy is only ~1.0-1.5x
faster than full resolution with the same smallest face (the cascade's own pyramid does the
scaling); a scale step of 1.2 would be ~1.8x faster but missed a small face in trials.

A FaceCheck holds numbers and a box only, never pixels: the image stays with the caller.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Detection runs on a copy this wide: a face we would accept (>= MIN_FACE_WIDTH_RATIO of the
# frame) is still >= 64 px there, well above the cascade's 24 px window.
DETECT_WIDTH = 320
# Smallest face the detector looks for, in DETECT_WIDTH pixels: smaller faces are far too
# far away to be "too small" in any useful sense, and small windows cost most of the time.
DETECT_MIN_PX = 30
# Haar parameters: 1.1 / 5 are OpenCV's documented defaults; fewer neighbours gives more
# false faces on textured backgrounds (a busy service hall).
DETECT_SCALE = 1.1
DETECT_NEIGHBOURS = 5

# A face narrower than a fifth of the frame carries < 128 px across at 640x480, too little
# detail for the platform's face verification; the resident is asked to come closer.
MIN_FACE_WIDTH_RATIO = 0.20
# The face centre may sit this far from the frame centre (fraction of width / height):
# the resident stands where the screen tells them, and an edge face is often cut off.
MAX_CENTRE_OFFSET = 0.20
# Variance of the Laplacian over the face resized to SHARPNESS_SIDE px: measured on the
# synthetic face, sharp frames give 150-600, a 4 px Gaussian blur gives ~20-45. Tune per
# camera with camera.face_min_sharpness.
MIN_SHARPNESS = 40.0
SHARPNESS_SIDE = 128
# Mean grey level of the face box (0-255): below this the face is in shadow and both
# matching and the resident's own preview suffer.
MIN_BRIGHTNESS = 50.0
# Another face at least this fraction of the largest one's width is a second person at the
# terminal; smaller ones are people further back in the hall, not our concern.
SECOND_FACE_RATIO = 0.6


class FaceCode(enum.StrEnum):
    OK = "ok"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    TOO_SMALL = "too_small"
    OFF_CENTRE = "off_centre"
    TOO_DARK = "too_dark"
    TOO_BLURRY = "too_blurry"


@dataclass(frozen=True)
class FaceRules:
    min_face_width_ratio: float = MIN_FACE_WIDTH_RATIO
    max_centre_offset: float = MAX_CENTRE_OFFSET
    min_sharpness: float = MIN_SHARPNESS
    min_brightness: float = MIN_BRIGHTNESS


DEFAULT_RULES = FaceRules()


@dataclass(frozen=True)
class FaceCheck:
    code: FaceCode
    faces: int = 0
    box: tuple[int, int, int, int] | None = None  # x, y, w, h of the main face, frame pixels
    frame_size: tuple[int, int] = (0, 0)  # w, h
    width_ratio: float = 0.0  # face width / frame width
    offset: tuple[float, float] = (0.0, 0.0)  # face centre - frame centre, fraction of w, h
    sharpness: float = 0.0
    brightness: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code == FaceCode.OK

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["code"] = str(self.code)
        data["ok"] = self.ok
        for key in ("width_ratio", "sharpness", "brightness"):
            data[key] = round(data[key], 3)
        data["offset"] = [round(v, 3) for v in self.offset]
        return data


_local = (
    threading.local()
)  # one cascade per thread: detectMultiScale is not documented as reentrant


def _cascade() -> Any:
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        import cv2

        # cv2.data.haarcascades, which OpenCV's type stubs do not declare
        path = str(Path(cv2.__file__).parent / "data" / "haarcascade_frontalface_default.xml")
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"Haar cascade missing from the OpenCV wheel: {path}")
        _local.cascade = cascade
    return cascade


def to_gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def detect_faces(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Faces in a grey frame as (x, y, w, h) in frame pixels, largest first."""
    import cv2

    h, w = gray.shape[:2]
    scale = min(1.0, DETECT_WIDTH / w)
    small = (
        gray
        if scale == 1.0
        else cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    )
    # Equalising makes the cascade work in dim or backlit halls.
    small = cv2.equalizeHist(small)
    found = _cascade().detectMultiScale(
        small,
        scaleFactor=DETECT_SCALE,
        minNeighbors=DETECT_NEIGHBOURS,
        minSize=(DETECT_MIN_PX, DETECT_MIN_PX),
    )
    boxes = [(round(x / scale), round(y / scale), round(w / scale), round(h / scale))
             for x, y, w, h in found]  # fmt: skip
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


def sharpness(gray_face: np.ndarray) -> float:
    """Variance of the Laplacian on the face resized to a fixed side (size-independent)."""
    import cv2

    roi = cv2.resize(gray_face, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(roi, cv2.CV_64F).var())


def check_face(frame: np.ndarray, rules: FaceRules = DEFAULT_RULES) -> FaceCheck:
    """Judge one frame (BGR, BGRA or grey). The first failed rule is the result, in the
    order a resident can fix them: find a face, be alone, come closer, centre, light, hold still."""
    gray = to_gray(frame)
    fh, fw = gray.shape[:2]
    size = (fw, fh)
    boxes = detect_faces(gray)
    if not boxes:
        return FaceCheck(FaceCode.NO_FACE, frame_size=size)
    x, y, w, h = box = boxes[0]
    near = [b for b in boxes if b[2] >= SECOND_FACE_RATIO * w]
    offset = ((x + w / 2) / fw - 0.5, (y + h / 2) / fh - 0.5)
    face = gray[max(0, y) : y + h, max(0, x) : x + w]
    measured = FaceCheck(
        FaceCode.OK,
        faces=len(near),
        box=box,
        frame_size=size,
        width_ratio=w / fw,
        offset=offset,
        sharpness=sharpness(face),
        brightness=float(face.mean()),
    )
    if len(near) > 1:
        code = FaceCode.SEVERAL_FACES
    elif w / fw < rules.min_face_width_ratio:
        code = FaceCode.TOO_SMALL
    elif max(abs(offset[0]), abs(offset[1])) > rules.max_centre_offset:
        code = FaceCode.OFF_CENTRE
    elif measured.brightness < rules.min_brightness:
        code = FaceCode.TOO_DARK
    elif measured.sharpness < rules.min_sharpness:
        code = FaceCode.TOO_BLURRY
    else:
        code = FaceCode.OK
    return replace(measured, code=code)


def crop_face(frame: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.5) -> np.ndarray:
    """The face box grown by `margin` of its size on each side (head and shoulders), clipped."""
    x, y, w, h = box
    fh, fw = frame.shape[:2]
    mx, my = int(w * margin), int(h * margin)
    return frame[max(0, y - my) : min(fh, y + h + my), max(0, x - mx) : min(fw, x + w + mx)]


def encode_jpeg(frame: np.ndarray, quality: int = 90) -> bytes:
    """JPEG bytes for the platform request; the caller seals them and drops the frame."""
    import cv2

    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("frame could not be encoded as JPEG")
    return buf.tobytes()
