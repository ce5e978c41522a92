"""Materials the resident sends from their phone, as the terminal sees them (no Textual).

`PhoneMaterials(client, service_code, materials).open()` gives the URL to show as a QR code;
`poll()` (in a thread worker, every second or so) returns the files that arrived since the
last call, downloaded and checked; `references()` is what the application carries, in its
sealed data, so the platform links the files it already holds to it, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.platform.client import PlatformClient


@dataclass(frozen=True)
class PhoneMaterial:
    upload_id: str
    material: str  # the 所需材料 item it was sent for
    content_type: str
    data: bytes
    sha256: str


@dataclass
class PhoneMaterials:
    client: PlatformClient
    service_code: str
    materials: list[str]
    session_id: str = ""
    upload_url: str = ""
    received: list[PhoneMaterial] = field(default_factory=list)

    def open(self) -> str:
        session = self.client.open_upload_session(self.service_code, self.materials)
        self.session_id, self.upload_url = session.session_id, session.upload_url
        return self.upload_url

    def poll(self) -> list[PhoneMaterial]:
        """New arrivals since the last poll (each downloaded once)."""
        if not self.session_id:
            raise RuntimeError("open() first")
        seen = {m.upload_id for m in self.received}
        status = self.client.upload_session_status(self.session_id)
        new = []
        for file in status.files:
            if file.id in seen:
                continue
            data = self.client.uploaded_file(file)
            new.append(PhoneMaterial(file.id, file.material, file.content_type, data, file.sha256))
        self.received.extend(new)
        return new

    def missing(self) -> list[str]:
        have = {m.material for m in self.received}
        return [m for m in self.materials if m not in have]

    def references(self) -> list[str]:
        return [m.upload_id for m in self.received]

    def forget(self) -> None:
        """Session end: the phone's photos leave the terminal's memory."""
        self.received.clear()
