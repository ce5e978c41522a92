"""Journey step: a face check for services that need the resident verified.

The camera finds one good frame (one face, large, centred, sharp, lit). For live records
(`verify_now`) the platform verifies it against the ID number at once, so offline the
resident is told plainly. For applications the frame goes into the sealed outbox item and
the platform verifies it on receipt, so this works offline too. The frame is kept only in
the session (wiped with it) until it is sent or queued."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.message import Message

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class FaceProgress(Message):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def can_replace(self, message: Message) -> bool:  # coaching: only the latest matters
        return isinstance(message, FaceProgress)


class FaceDone(Message):
    def __init__(self, outcome: str) -> None:
        super().__init__()
        self.outcome = outcome


class FaceScreen(KioskScreen):
    def __init__(self, then: Callable[[], KioskScreen], verify_now: bool) -> None:
        super().__init__()
        self._then, self._verify_now = then, verify_now

    def compose_body(self) -> ComposeResult:
        yield TLabel("face.title", classes="title")
        yield TLabel("face.prompt", id="face-status", classes="hint")
        yield TButton("common.retry", id="face-retry", classes="action")

    def on_mount(self) -> None:
        self._cancel = threading.Event()
        self.query_one("#face-retry").display = False
        self._verify()

    def on_unmount(self) -> None:
        self._cancel.set()

    @work(thread=True, exclusive=True, exit_on_error=False, group="face")
    def _verify(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        camera = services.device("camera")
        session = self.app.session  # type: ignore[attr-defined]
        if camera is None or session is None or session.identity is None:
            self.post_message(FaceDone("no_camera"))
            return
        scan = camera.scan_face(
            timeout=20, cancel=self._cancel,
            on_check=lambda check: self.post_message(FaceProgress(str(check.code))),
        )  # fmt: skip
        if self._cancel.is_set():
            return
        if scan.jpeg is None:
            self.post_message(FaceDone("not_found"))
            return
        if not self._verify_now:
            session.data["face_jpeg"] = scan.jpeg  # sealed into the application, then dropped
            self.post_message(FaceDone("verified"))
            return
        try:
            result = services.platform.verify_identity(
                id_number=session.identity.id_number, face_jpeg=scan.jpeg
            )
        except Exception:
            self.post_message(FaceDone("offline"))
            return
        finally:
            scan = None  # the face leaves memory with this step
        if result.get("verified"):
            session.data["verification_id"] = result.get("verification_id")
            self.post_message(FaceDone("verified"))
        else:
            self.post_message(FaceDone("rejected"))

    def on_face_progress(self, message: FaceProgress) -> None:
        if message.code != "ok":
            self.query_one("#face-status", TLabel).set_key(f"face.{message.code}")

    def on_face_done(self, message: FaceDone) -> None:
        if message.outcome == "verified":
            self.move_on(self._then())
            return
        self.query_one("#face-status", TLabel).set_key(f"face.{message.outcome}")
        self.query_one("#face-retry").display = True

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "face-retry":
            event.stop()
            self.query_one("#face-retry").display = False
            self.query_one("#face-status", TLabel).set_key("face.prompt")
            self._verify()
