"""Journey step 核验身份 (face): the camera finds one good frame (one face, large, centred,
sharp, lit). For live records the platform verifies it at once, so offline the resident is
told plainly; for applications the frame is sealed into the outbox item and the platform
verifies it on receipt, so this works offline too."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.message import Message

from kiosk.resident import actions
from kiosk.resident.steps import Step
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel


class FaceProgress(Message):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def can_replace(self, message: Message) -> bool:  # coaching: only the latest matters
        return isinstance(message, FaceProgress)


class FaceDone(Message):
    def __init__(self, outcome: actions.FaceOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class FaceScreen(KioskScreen):
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

    @property
    def verify_now(self) -> bool:
        # Live records need the platform's word now; applications carry the frame.
        return self.journey is not None and Step.RECORD in self.journey.steps

    @work(thread=True, exclusive=True, exit_on_error=False, group="face")
    def _verify(self) -> None:
        outcome = actions.capture_face(
            self.services.camera, self.session, verify_now=self.verify_now,
            platform=self.services.platform, cancel=self._cancel,
            on_check=lambda code: self.post_message(FaceProgress(code)),
        )  # fmt: skip
        if outcome != "cancelled":
            self.post_message(FaceDone(outcome))

    def on_face_progress(self, message: FaceProgress) -> None:
        if message.code != "ok":
            self.query_one("#face-status", TLabel).set_key(f"face.{message.code}")

    def on_face_done(self, message: FaceDone) -> None:
        if message.outcome == "verified":
            self.move_on()
            return
        self.query_one("#face-status", TLabel).set_key(f"face.{message.outcome}")
        # no camera: trying again changes nothing; 上一步 and 返回首页 are there
        self.query_one("#face-retry").display = message.outcome != "no_camera"

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        if event.button.id == "face-retry":
            event.stop()
            self.query_one("#face-retry").display = False
            self.query_one("#face-status", TLabel).set_key("face.prompt")
            self._verify()
