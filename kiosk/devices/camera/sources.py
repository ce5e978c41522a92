"""Frame sources: a V4L2 camera (index or /dev/videoN), a video file, an image folder.

Every call here may block (opening a USB camera can take a second), so only the capture
thread calls them. cv2 is imported inside the methods, never at module import.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".mov", ".m4v", ".webm", ".mjpg", ".mjpeg")


class SourceMissing(Exception):
    """The camera, file or folder is not there (XFS4IoT noDevice)."""


class SourceFailed(Exception):
    """The source is there but cannot deliver frames (XFS4IoT hardwareError)."""


class FrameSource(Protocol):
    #: True when the capture thread must pace reads itself (files play as fast as we read).
    paced_by_reader: bool
    description: str

    def open(self) -> None: ...

    def read(self) -> np.ndarray: ...

    def close(self) -> None: ...


class V4L2Source:
    """A live camera through OpenCV's V4L2 backend; the camera sets the frame rate."""

    paced_by_reader = False

    def __init__(self, device: str | int, width: int, height: int, fps: float) -> None:
        self.device = device_path(device)
        self.width, self.height, self.fps = width, height, fps
        self.description = f"v4l2:{self.device}"
        self._cap: Any = None

    def open(self) -> None:
        # Checking the node first keeps a missing camera from costing a backend probe.
        if not os.path.exists(self.device):
            raise SourceMissing(f"{self.device} does not exist")
        import cv2

        cap = cv2.VideoCapture(self.device, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise SourceFailed(f"{self.device} exists but cannot be opened")
        # MJPG lets USB 2.0 cameras reach 640x480 at full rate; a camera that refuses it
        # keeps its default format, which still works.
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # latest frame, not a backlog
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise SourceFailed("not open")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            if not os.path.exists(self.device):
                raise SourceMissing(f"{self.device} disappeared")
            raise SourceFailed(f"{self.device} returned no frame")
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFileSource:
    """A video file played in a loop; reopened at each loop so a removed file is noticed."""

    paced_by_reader = True

    def __init__(self, path: str | Path, loop: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.loop = loop
        self.description = f"file:{self.path}"
        self._cap: Any = None

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceMissing(f"{self.path} does not exist")
        import cv2

        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceFailed(f"{self.path} is not a video OpenCV can decode")
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise SourceFailed("not open")
        ok, frame = self._cap.read()
        if ok and frame is not None:
            return frame
        if not self.loop:
            raise SourceFailed(f"{self.path}: end of video")
        self.close()
        self.open()  # raises SourceMissing if the file went away
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise SourceFailed(f"{self.path} has no readable frame")
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ImageFolderSource:
    """Still images in name order, looping; the folder is listed again at each loop."""

    paced_by_reader = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.description = f"folder:{self.path}"
        self._files: list[Path] = []
        self._next = 0

    def _list(self) -> list[Path]:
        if not self.path.is_dir():
            raise SourceMissing(f"{self.path} does not exist")
        files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise SourceMissing(f"{self.path} has no images")
        return files

    def open(self) -> None:
        self._files = self._list()
        self._next = 0

    def read(self) -> np.ndarray:
        import cv2

        for _ in range(2):  # one retry after listing again: images may have been replaced
            if self._next >= len(self._files):
                self._files, self._next = self._list(), 0
            path = self._files[self._next]
            self._next += 1
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is not None:
                return frame
            self._files, self._next = self._list(), 0
        raise SourceFailed(f"{self.path}: images cannot be read")

    def close(self) -> None:
        self._files = []


def device_path(device: str | int) -> str:
    """'0' or 0 -> '/dev/video0'; a path stays as it is."""
    text = str(device).strip()
    if re.fullmatch(r"\d+", text):
        return f"/dev/video{int(text)}"
    return text


def file_source(path: str | Path) -> FrameSource:
    """A folder plays its images, anything else is treated as a video file."""
    p = Path(path).expanduser()
    if p.is_dir() or (not p.exists() and not p.suffix):
        return ImageFolderSource(p)
    return VideoFileSource(p)
