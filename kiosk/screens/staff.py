"""Staff mode: a PIN on an on-screen keypad (no keyboard shortcut), then the staff menu.

Reached by tapping the terminal name in the top bar five times within three seconds, the
hidden corner that kiosk staff are trained to use. The demo PIN 2468 opens it only on the
demo (built-in platform); the menu says loudly when the terminal runs on demo secrets.
退出程序 asks to confirm and exits with STAFF_EXIT_STATUS, which the service restarts.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kiosk.demo import DEMO_PIN_HASH, demo_secrets_in_use, is_demo
from kiosk.lifecycle import ExitStatus
from kiosk.screens.base import KioskScreen, kiosk_app
from kiosk.widgets.chrome import TButton, TLabel

if TYPE_CHECKING:
    from kiosk.devices.printer.adapter import ReceiptPrinter

# Not 0: the kiosk's systemd unit restarts it (Restart=always, and on-failure too), so a
# terminal is never left dark after staff quit; the journal shows "staff exit". Same number
# as ExitStatus.STAFF_EXIT of the lifecycle (README "Exit statuses").
STAFF_EXIT_STATUS = int(ExitStatus.STAFF_EXIT)


def pin_matches(pin: str, pin_hash: str) -> bool:
    salt_hex, _, expected = pin_hash.partition(":")
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex), 200_000).hex()
    return hmac.compare_digest(digest, expected)


class StaffPinScreen(ModalScreen[bool]):
    STAFF = True

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield TLabel("staff.pin", classes="title")
            yield Static("", id="pin-dots", classes="title")
            with Grid(id="pin-keys"):
                for key in "123456789":
                    yield Button(key, name=key, id=f"pin-{key}", classes="pin-key")
                yield TButton("common.cancel", id="pin-cancel")
                yield Button("0", name="0", id="pin-0", classes="pin-key")
                yield TButton("common.ok", id="pin-ok", variant="success")

    def on_mount(self) -> None:
        self._pin = ""
        self._tries = 0
        # A PIN repeats digits ("2 2"): the button's double-tap guard would eat the second.
        for key in self.query(".pin-key").results(Button):
            key.active_effect_duration = 0

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("pin-key") and len(self._pin) < 12:
            self._pin += event.button.name or ""
        elif event.button.id == "pin-cancel":
            self.dismiss(False)
            return
        elif event.button.id == "pin-ok":
            config = kiosk_app(self).config
            demo_pin = config.staff.pin_hash == DEMO_PIN_HASH and not is_demo(config)
            if pin_matches(self._pin, config.staff.pin_hash) and not demo_pin:
                self.dismiss(True)
                return
            self._tries += 1
            self._pin = ""
            # No brute force from the touch screen: the app counts failures across openings.
            if kiosk_app(self).staff_pin_failed() or self._tries >= 3:
                self.dismiss(False)
                return
            # The public demo PIN on a real terminal: counted as wrong, and staff told why.
            key = "staff.demo_pin_refused" if demo_pin else "staff.pin_wrong"
            self.query_one("#pin-dots", Static).update(kiosk_app(self).t(key))
            return
        self.query_one("#pin-dots", Static).update("●" * len(self._pin))


class StaffScreen(KioskScreen):
    """What staff can do at the terminal."""

    IDLE_FACTOR = 3.0
    STAFF = True

    def compose_body(self) -> ComposeResult:
        yield TLabel("staff.title", classes="title")
        with Grid(id="staff-actions"):
            yield TButton("staff.diagnostics", id="staff-diag", classes="action", variant="primary")
            yield TButton("staff.reprint", id="staff-reprint", classes="action")
            yield TButton("staff.lock", id="staff-lock", classes="action")
            # Only when the outbox could not open (damaged file already moved aside).
            yield TButton(
                "staff.new_outbox", id="staff-new-outbox", classes="action", variant="warning"
            )
            yield TButton("staff.exit", id="staff-exit", classes="action", variant="error")
        with Grid(id="staff-exit-confirm"):
            yield TLabel("staff.exit_confirm", classes="message")
            yield TButton("staff.exit_yes", id="staff-exit-yes", classes="action", variant="error")
            yield TButton("common.cancel", id="staff-exit-no", classes="action")
        yield Static(id="staff-demo", classes="message")
        yield Static(id="staff-message")
        yield Static(id="staff-calls")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "staff-diag":
            self.kiosk.show_diagnostics()
        elif event.button.id == "staff-reprint":
            self._reprint()
        elif event.button.id == "staff-new-outbox":
            reopen = self.kiosk.services.reopen_outbox
            if reopen is not None:  # the button shows only while there is one
                reopen()
            self.kiosk.services.reopen_outbox = None
            self.sync_lock_label()
            self.query_one("#staff-message", Static).update(self.kiosk.t("staff.new_outbox_done"))
        elif event.button.id == "staff-lock":
            services = self.kiosk.services
            services.set_locked(not services.locked, "staff")
            self.sync_lock_label()
        elif event.button.id == "staff-exit":  # one tap never stops a terminal: confirm
            self.query_one("#staff-exit-confirm").display = True
        elif event.button.id == "staff-exit-no":
            self.query_one("#staff-exit-confirm").display = False
        elif event.button.id == "staff-exit-yes":
            # through the lifecycle: the session ends, the exit is bounded, systemd hears why
            self.kiosk.lifecycle.request_exit(ExitStatus.STAFF_EXIT, "staff")
        else:
            return
        event.stop()

    def on_mount(self) -> None:
        self.query_one("#staff-exit-confirm").display = False
        self.sync_lock_label()
        self._show_demo_secrets()
        self.show_staff_calls()

    def _show_demo_secrets(self) -> None:
        """Loud, every time staff open the menu: which public secrets this terminal runs on."""
        services = self.kiosk.services
        found = demo_secrets_in_use(services.config)
        found += [s for s in getattr(services.platform, "demo_secrets", []) if s not in found]
        banner = self.query_one("#staff-demo", Static)
        banner.display = bool(found)
        if found:
            t = self.kiosk.t
            banner.update("\n".join(t(f"staff.demo.{name}") for name in found))

    def show_staff_calls(self) -> None:
        """呼叫工作人员 from residents: when, from which step, and whether it is queued for
        the platform (so it reaches the service hall even offline)."""
        import time

        calls = self.kiosk.staff_calls
        lines = [self.kiosk.t("staff.calls", n=len(calls))] + [
            f"  {time.strftime('%H:%M:%S', time.localtime(at))}  {where}  "
            + self.kiosk.t("staff.call_queued" if queued else "staff.call_local")
            for at, where, queued in calls[-5:]
        ]
        self.query_one("#staff-calls", Static).update("\n".join(lines))

    def sync_lock_label(self) -> None:
        services = self.kiosk.services
        self.query_one("#staff-new-outbox").display = services.reopen_outbox is not None
        # what the outbox and the clock need from staff (kiosk/platform/wiring.py)
        notes = [services.failures[k] for k in ("outbox", "outbox_recovered", "clock")
                 if k in services.failures]  # fmt: skip
        if notes:
            self.query_one("#staff-message", Static).update("\n".join(notes))
        locked = services.locked
        self.query_one("#staff-lock", TButton).set_key("staff.unlock" if locked else "staff.lock")

    def _reprint(self) -> None:
        printer = self.kiosk.services.printer
        message = self.query_one("#staff-message", Static)
        if printer is None:
            message.update(self.kiosk.t("staff.no_printer"))
            return
        self.run_worker(lambda: self._reprint_in_thread(printer), thread=True, exit_on_error=False)

    def _reprint_in_thread(self, printer: ReceiptPrinter) -> None:
        try:
            done = printer.reprint_pending()
            text = self.kiosk.t("staff.reprinted", n=len(done))
        except Exception as exc:  # paper still out, printer gone: say so, keep the rest
            text = f"{self.kiosk.t('staff.reprint_failed')} ({exc})"
        self.app.call_from_thread(self._show_message, text)

    def _show_message(self, text: str) -> None:
        """On the UI thread; the screen may have closed while the worker ran."""
        if self.is_mounted:
            self.query_one("#staff-message", Static).update(text)
