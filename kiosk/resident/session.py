"""The resident at the screen: everything the terminal holds about them, typed, in one place,
and dropped by `wipe` when the session ends."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from kiosk.resident.identity import Identity
from kiosk.resident.materials import MaterialPages
from kiosk.resident.service import Service


@dataclass(frozen=True)
class Submission:
    key: str
    local_ref: str
    service_code: str
    service_name: str
    masked_name: str
    platform_ref: str = ""

    @property
    def reference(self) -> str:
        return self.platform_ref or self.local_ref


@dataclass
class ResidentSession:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: float = field(default_factory=time.time)
    identity: Identity | None = None
    face_jpeg: bytes | None = None  # one good frame, until it is sealed into the outbox
    verification_id: str | None = None  # the platform's face verification, for live records
    service: Service | None = None  # the service being done now
    answers: dict[str, str] = field(default_factory=dict)  # the resident's form answers
    transaction_key: str | None = None  # idempotency key of the current submission
    submission: Submission | None = None  # the application just submitted
    last_reference: str = ""  # what the last completed service printed (for the rating)
    last_service_code: str = ""
    materials: MaterialPages | None = None  # pages under the 高拍仪, until sealed in the outbox

    @property
    def identified(self) -> bool:
        return self.identity is not None

    @property
    def face_done(self) -> bool:
        return self.face_jpeg is not None or self.verification_id is not None

    @property
    def has_entered_data(self) -> bool:
        """Whether leaving now would throw away something the resident did."""
        return self.identity is not None or any(v for v in self.answers.values())

    def start_service(self, service: Service) -> None:
        """A new service: its own answers and its own transaction (the identity stays)."""
        if self.service is None or self.service.code != service.code:
            self.answers.clear()
            self.transaction_key = None
            if self.materials is not None:
                self.materials.wipe()
            self.materials = None
        self.service = service

    def wipe(self) -> None:
        if self.identity is not None:
            self.identity.wipe()
        self.identity = None
        self.face_jpeg = None
        self.verification_id = None
        self.service = None
        self.answers.clear()
        self.transaction_key = None
        self.submission = None
        self.last_reference = self.last_service_code = ""
        if self.materials is not None:
            self.materials.wipe()
        self.materials = None
