"""Journey step 所需材料: each material the service needs, put under the document camera
(高拍仪) and taken with one tap; the page is shown as it will be sent, with 重拍. 下一步 once
every material is taken. The pages stay in memory until they are sealed into the outbox."""

from __future__ import annotations

import logging
import threading

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from kiosk.phone_materials import PhoneMaterials
from kiosk.resident import actions
from kiosk.resident.materials import MaterialPages, required_materials
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

log = logging.getLogger(__name__)


class Taken(Message):
    def __init__(self, index: int, outcome: str) -> None:
        super().__init__()
        self.index, self.outcome = index, outcome


class PhoneReady(Message):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


class PhoneArrived(Message):
    def __init__(self, material: str, upload_id: str) -> None:
        super().__init__()
        self.material, self.upload_id = material, upload_id


class MaterialsScreen(KioskScreen):
    IDLE_FACTOR = 2.0
    phone: PhoneMaterials | None = None  # the phone upload session, once opened

    @property
    def wanted(self) -> tuple[str, ...]:
        service = self.session.service
        return required_materials(service) if service is not None else ()

    def compose_body(self) -> ComposeResult:
        yield TLabel("materials.title", classes="title")
        yield TLabel("materials.prompt", id="materials-status", classes="hint")
        with Horizontal(id="materials-body"):
            with VerticalScroll(id="materials-list"):
                for i, name in enumerate(self.wanted):
                    with Horizontal(classes="material-row"):
                        yield Static(name, classes="material-name")
                        yield TLabel("materials.not_taken", id=f"material-state-{i}",
                                     classes="material-state")  # fmt: skip
                        yield TButton("materials.take", id=f"material-take-{i}", classes="action")
                with Horizontal(id="materials-actions"):
                    yield TButton("materials.phone", id="materials-phone", classes="action")
                    yield TButton("materials.next", id="materials-next", classes="action primary")
            yield Static("", id="materials-preview")

    def on_mount(self) -> None:
        self._stop_polling = threading.Event()
        if self.session.materials is None:
            self.session.materials = MaterialPages(self.wanted)
        for i, name in enumerate(self.wanted):
            if name in self.session.materials.pages or name in self.session.materials.phone:
                self._show_taken(i)
        self.query_one("#materials-phone").display = self.services.platform is not None
        self._refresh_next()

    def on_unmount(self) -> None:
        self._stop_polling.set()
        if self.phone is not None:
            self.phone.forget()

    @work(thread=True, exclusive=True, exit_on_error=False, group="phone")
    def _phone_session(self) -> None:
        """Open a one-time upload session, show its QR code, then poll for arrivals."""
        platform, service = self.services.platform, self.session.service
        if platform is None or service is None:
            return
        phone = PhoneMaterials(platform, service.code, list(self.wanted))
        try:
            url = phone.open()
        except Exception as exc:  # offline: said on screen, the 高拍仪 still works
            log.warning("phone upload session not opened", extra={"error": type(exc).__name__})
            self.post_message(Taken(-1, "phone_offline"))
            return
        self.phone = phone
        self.post_message(PhoneReady(url))
        while not self._stop_polling.wait(1.0):
            try:
                arrived = phone.poll()
            except Exception as exc:
                log.warning("phone upload poll failed", extra={"error": type(exc).__name__})
                continue
            for item in arrived:
                self.post_message(PhoneArrived(item.material, item.upload_id))

    def on_phone_ready(self, message: PhoneReady) -> None:
        from kiosk.widgets.qrtext import qr_text

        self.query_one("#materials-preview", Static).update(qr_text(message.url))
        self.query_one("#materials-status", TLabel).set_key("materials.phone_scan")

    def on_phone_arrived(self, message: PhoneArrived) -> None:
        pages = self.session.materials
        if pages is None or message.material not in self.wanted:
            return
        pages.phone[message.material] = message.upload_id
        index = self.wanted.index(message.material)
        self.query_one(f"#material-state-{index}", TLabel).set_key("materials.from_phone")
        self._refresh_next()

    def _refresh_next(self) -> None:
        pages = self.session.materials
        self.query_one("#materials-next").disabled = pages is None or not pages.complete

    def _show_taken(self, index: int) -> None:
        self.query_one(f"#material-state-{index}", TLabel).set_key("materials.taken")
        self.query_one(f"#material-take-{index}", TButton).set_key("materials.retake")

    @work(thread=True, exclusive=True, exit_on_error=False, group="doccam")
    def _take(self, index: int) -> None:
        doccam = self.services.doccam
        outcome = actions.capture_material(doccam, self.session, self.wanted[index])
        self.post_message(Taken(index, outcome))

    def on_taken(self, message: Taken) -> None:
        status = self.query_one("#materials-status", TLabel)
        if message.index < 0:
            status.set_key(f"materials.{message.outcome}")
            return
        self.query_one(f"#material-take-{message.index}").disabled = False
        if message.outcome == "ok":
            self._show_taken(message.index)
            status.set_key("materials.prompt")
            self._preview(message.index)
        else:
            self.query_one(f"#material-state-{message.index}", TLabel).set_key(
                f"materials.{message.outcome}"
            )
            status.set_key(f"materials.{message.outcome}")
        self._refresh_next()

    def _preview(self, index: int) -> None:
        """The page as it will be sent, small: the resident checks it is the right one."""
        import cv2
        import numpy as np

        from kiosk.widgets.preview import frame_to_text

        pages = self.session.materials
        page = pages.pages.get(self.wanted[index]) if pages else None
        if page is None:
            return
        image = cv2.imdecode(np.frombuffer(page.jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is not None:
            self.query_one("#materials-preview", Static).update(frame_to_text(image, 24, 17))

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id.startswith("material-take-"):
            event.stop()
            index = int(button_id.rsplit("-", 1)[1])
            event.button.disabled = True
            self.query_one(f"#material-state-{index}", TLabel).set_key("materials.taking")
            self._take(index)
        elif button_id == "materials-phone":
            event.stop()
            event.button.disabled = True  # one session per visit to this step
            self._phone_session()
        elif button_id == "materials-next":
            event.stop()
            if self.session.materials is not None and self.session.materials.complete:
                self.move_on()
