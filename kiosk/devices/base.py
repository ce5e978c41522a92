"""Device vocabulary shared by every adapter, in XFS4IoT terms, and the event hub.

Adapters are plain threaded classes: no Textual here (a test enforces it). The app
subscribes to the hub and turns events into messages on its own thread.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)


class DeviceState(enum.StrEnum):
    """XFS4IoT common device status."""

    ONLINE = "online"
    OFFLINE = "offline"
    NO_DEVICE = "noDevice"
    HARDWARE_ERROR = "hardwareError"
    USER_ERROR = "userError"
    DEVICE_BUSY = "deviceBusy"


class PaperState(enum.StrEnum):
    """XFS4IoT printer paper supply."""

    FULL = "full"
    LOW = "low"
    OUT = "out"
    JAMMED = "jammed"
    UNKNOWN = "unknown"


class EventKind(enum.StrEnum):
    CARD_PLACED = "cardPlaced"
    CARD_REMOVED = "cardRemoved"
    PAPER_LOW = "paperLow"
    PAPER_OUT = "paperOut"
    PAPER_OK = "paperOk"
    COVER_OPEN = "coverOpen"
    COVER_CLOSED = "coverClosed"
    DEVICE_LOST = "deviceLost"
    DEVICE_REGAINED = "deviceRegained"
    STATUS_CHANGED = "statusChanged"


@dataclass(frozen=True)
class DeviceHealth:
    """What staff and `kiosk diag` see for one device."""

    device: str
    state: DeviceState
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return self.state == DeviceState.ONLINE

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = str(self.state)
        data["healthy"] = self.healthy
        return data


@dataclass(frozen=True)
class SelfTestResult:
    device: str
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeviceEvent:
    device: str
    kind: EventKind
    detail: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


class DeviceError(Exception):
    """A device operation failed in a way the resident or staff must hear about.

    `code` is a stable, language-neutral key (e.g. "no_card", "card_removed",
    "paper_out") that the UI maps to plain words in the resident's language.
    """

    def __init__(self, code: str, message: str, *, state: DeviceState | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.state = state


Subscriber = Callable[[DeviceEvent], None]


class EventHub:
    """Thread-safe fan-out of device events. A failing subscriber is logged, never raised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: DeviceEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("device event subscriber failed", extra={"device": event.device})


class Device(ABC):
    """One device adapter. `start` never raises for a missing device: it reports noDevice
    through `health()` and keeps trying to reconnect in the background."""

    kind: str = "device"

    def __init__(self, events: EventHub) -> None:
        self.events = events

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def health(self) -> DeviceHealth:
        """Cheap, cached status; must not block on the device."""

    @abstractmethod
    def self_test(self) -> SelfTestResult:
        """An active check of the device; may block for a few seconds."""

    def emit(self, kind: EventKind, **detail: Any) -> None:
        self.events.publish(DeviceEvent(self.kind, kind, detail))
