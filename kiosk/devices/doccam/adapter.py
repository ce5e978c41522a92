"""The document camera (高拍仪) device: frames from a UVC camera (OpenCV VideoCapture) or
from the emulator, and `capture()` that runs the page pipeline on the next frame."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

import cv2
import numpy as np

from kiosk.devices.base import (
    Device,
    DeviceError,
    DeviceHealth,
    DeviceState,
    EventHub,
    SelfTestResult,
)
from kiosk.devices.doccam import pipeline
from kiosk.devices.doccam.synthetic import desk_photo, desk_texture

log = logging.getLogger(__name__)


class FrameSource(Protocol):
    def read(self) -> np.ndarray | None: ...
    def close(self) -> None: ...
    @property
    def describe(self) -> str: ...


class EmulatedDesk:
    """What lies under the emulated camera: a document (kind 0 户口簿, 1 合同, 2 出生证明),
    skewed differently each time it is laid down, or nothing; glare or blur on request."""

    def __init__(self, width: int = 1600, height: int = 1200, seed: int = 1) -> None:
        self.width, self.height = width, height
        self._seed = seed
        self._frame: np.ndarray | None = None
        self._lock = threading.Lock()

    def place(self, kind: int = 0, *, glare: bool = False, blur: float = 0.0) -> np.ndarray:
        """Lay a document down; returns its true corners in the frame."""
        with self._lock:
            self._seed += 1
            photo = desk_photo(
                self._seed, self.width, self.height, glare=glare, blur=blur, kind=kind
            )
            self._frame = photo.frame
            return photo.corners

    def clear(self) -> None:
        with self._lock:
            self._seed += 1
            rng = np.random.default_rng(self._seed)
            self._frame = desk_texture(self.width, self.height, rng)

    def read(self) -> np.ndarray | None:
        if self._frame is None:
            self.place()  # a document lies there from the start
        with self._lock:
            return None if self._frame is None else self._frame.copy()

    def close(self) -> None:
        pass

    @property
    def describe(self) -> str:
        return f"emulated desk {self.width}x{self.height}"


class UvcSource:
    def __init__(self, source: str, width: int, height: int) -> None:
        target: int | str = int(source) if source.isdigit() else source
        self._capture = cv2.VideoCapture(target)
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._source = source

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        return frame if ok else None

    def close(self) -> None:
        self._capture.release()

    @property
    def describe(self) -> str:
        return f"UVC {self._source}"


class DocumentCamera(Device):
    kind = "doccam"

    def __init__(self, events: EventHub, source: FrameSource, *, max_bytes: int) -> None:
        super().__init__(events)
        self.source = source
        self.max_bytes = max_bytes
        self._health = DeviceHealth(self.kind, DeviceState.NO_DEVICE, "not started")
        self._io = threading.Lock()

    def start(self) -> None:
        # The first frame (a UVC camera waking up, or the emulator's first photo) takes a
        # while: the kiosk's first screen does not wait for it.
        threading.Thread(target=self._probe, name="doccam-probe", daemon=True).start()

    def stop(self) -> None:
        self.source.close()

    def health(self) -> DeviceHealth:
        return self._health

    def self_test(self) -> SelfTestResult:
        started = time.perf_counter()
        ok = self._probe()
        ms = round((time.perf_counter() - started) * 1000, 1)
        return SelfTestResult(
            self.kind, ok, self._health.message, {"grab_ms": ms, **self._health.details}
        )

    def grab(self) -> np.ndarray:
        with self._io:
            frame = self.source.read()
        if frame is None:
            self._health = DeviceHealth(
                self.kind, DeviceState.NO_DEVICE, "no frame from the camera"
            )
            raise DeviceError(
                "no_frame", "the document camera gives no picture", state=DeviceState.NO_DEVICE
            )
        return frame

    def capture(self) -> pipeline.Scan:
        """One material from what lies under the camera now; `problems` says what to fix
        (no_sheet, blurry, glare) before the resident is shown 重拍."""
        return pipeline.scan(self.grab(), self.max_bytes)

    def _probe(self) -> bool:
        try:
            frame = self.grab()
        except DeviceError:
            return False
        details: dict[str, Any] = {"source": self.source.describe,
                                   "resolution": f"{frame.shape[1]}x{frame.shape[0]}"}  # fmt: skip
        self._health = DeviceHealth(self.kind, DeviceState.ONLINE, "ready", details)
        return True
