"""Camera: frames from a V4L2 camera, a video file or an image folder; face quality check
and QR decoding. OpenCV is imported only inside functions and the capture thread.

Public API: Camera, FaceScan, Frame, create(); face.check_face / FaceCheck / FaceCode /
encode_jpeg / crop_face; qr.decode_qr.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.config import CameraConfig
from kiosk.devices.base import EventHub
from kiosk.devices.camera.adapter import Camera, FaceScan
from kiosk.devices.camera.capture import Frame
from kiosk.devices.camera.face import FaceCheck, FaceCode, FaceRules

__all__ = ["Camera", "FaceCheck", "FaceCode", "FaceRules", "FaceScan", "Frame", "create"]


def create(section: CameraConfig, events: EventHub, data_dir: Path) -> Camera:
    return Camera(section, events, data_dir)
