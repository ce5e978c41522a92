"""The kiosk's Textual app: full screen, no way out for a resident, one session at a time.

Residents cannot quit or suspend it (no bindings; Textual's driver turns ctrl+c/ctrl+z into
keys). Staff leave through staff mode; a technician stops it with SIGTERM/SIGINT. Every exit
goes through `self.lifecycle` (kiosk/lifecycle.py), which also tells systemd READY/WATCHDOG.
Devices, the outbox and the platform are reached only through `Services`; their blocking
calls run in thread workers, and one failing part shows as a degraded service.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from typing import Any, TypeVar

from textual import events, work
from textual.app import App
from textual.message import Message
from textual.message_pump import active_message_pump
from textual.screen import Screen, ScreenResultCallbackType
from textual.widgets import Button

from kiosk import workers
from kiosk.config import KioskConfig
from kiosk.devices.base import DeviceEvent, EventKind
from kiosk.display.font import detect
from kiosk.hant import to_hant
from kiosk.i18n import configure, t, variant
from kiosk.lifecycle import ExitStatus, Lifecycle
from kiosk.memory import collect_and_release
from kiosk.resident import actions
from kiosk.resident.service import FormField, Language, Service, is_language
from kiosk.resident.session import ResidentSession
from kiosk.resident.steps import Journey, Kind, Step
from kiosk.screens.base import KioskScreen, ScreenDeviceEvent
from kiosk.screens.countdown import CountdownScreen
from kiosk.screens.home import HomeScreen
from kiosk.services import Services
from kiosk.session import Clock, IdlePhase, IdleTimer
from kiosk.speech import Speaker
from kiosk.staff_lockout import PinLockout
from kiosk.widgets.chrome import BottomBar, StepIndicator, Translatable

log = logging.getLogger(__name__)

# The view of each journey step: "module:Class", imported on use so the home screen
# appears before the journey code is loaded. The app is the only place that knows which
# screen shows which step; screens never import each other.
STEP_SCREENS = {
    Step.IDENTIFY: "kiosk.screens.idcard:IdCardScreen",
    Step.FACE: "kiosk.screens.face:FaceScreen",
    Step.FORM: "kiosk.screens.form:FormScreen",
    Step.MATERIALS: "kiosk.screens.materials:MaterialsScreen",
    Step.REVIEW: "kiosk.screens.review:ReviewScreen",
    Step.RECEIPT: "kiosk.screens.submitted:SubmittedScreen",
    Step.RECORD: "kiosk.screens.record:RecordScreen",
    Step.RATING: "kiosk.screens.rating:RatingScreen",
    Step.GUIDE: "kiosk.screens.guide:GuideScreen",
    Step.TICKET: "kiosk.screens.ticket:TicketScreen",
    Step.PROGRESS: "kiosk.screens.progress:ProgressScreen",
}
QR_IDENTIFY_SCREEN = "kiosk.screens.scan:ScanScreen"
OTHER_SCREENS = {
    "confirm_home": "kiosk.screens.confirm:ConfirmHomeScreen",
    "field_input": "kiosk.screens.field_input:FieldInputScreen",
    "out_of_service": "kiosk.screens.out_of_service:OutOfServiceScreen",
    "diagnostics": "kiosk.screens.diagnostics:DiagnosticsScreen",
}


def _load(target: str) -> type:
    import importlib

    module_name, _, class_name = target.partition(":")
    loaded = getattr(importlib.import_module(module_name), class_name)
    assert isinstance(loaded, type)
    return loaded


def _load_step(target: str) -> type[KioskScreen]:
    loaded = _load(target)
    assert issubclass(loaded, KioskScreen)
    return loaded


S = TypeVar("S", bound=KioskScreen)


class DeviceEventMessage(Message):
    """A device event, carried from a device thread onto the app's thread."""

    def __init__(self, event: DeviceEvent) -> None:
        super().__init__()
        self.event = event


# A kiosk's panel is 1920×1080: up to this many rows a row is at least 36 px (the larger
# 长辈模式 font gives about 20 rows of ~54 px), else it is ~24 px; the CSS sizes 60 px touch
# targets in rows from that (App class -large-cells).
LARGE_CELL_ROWS = 30


class KioskApp(App[int], inherit_bindings=False):
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    BINDINGS = []  # nothing a resident can press leaves the app

    def __init__(
        self,
        config: KioskConfig,
        services: Services | None = None,
        *,
        clock: Clock = time.monotonic,
        start_services: bool = True,
        lifecycle: Lifecycle | None = None,
    ) -> None:
        super().__init__()
        self.lifecycle = lifecycle or Lifecycle()
        self.config = config
        configure(config.ui.traditional_variant)
        self.services = services or Services(config)
        self.language: Language = config.ui.language
        self.elder = config.ui.elder_mode
        self.idle = IdleTimer(clock=clock, countdown=config.ui.countdown_s)
        self.session: ResidentSession | None = None
        self.health: dict[str, bool] = {}
        self.staff_calls: list[tuple[float, str, bool]] = []  # (time, screen, queued)
        # Readers whose card belongs to a resident whose session has ended: it is never read
        # for the next one; it must be taken out (and put back) first.
        self.stale_cards: set[str] = set()
        self._start_services = start_services
        # One kept screen per REUSABLE class, shown again instead of built again; `_stale`
        # are those a language or 长辈模式 switch passed by while they were not shown.
        self._kept: dict[type[KioskScreen], KioskScreen] = {}
        self._stale: set[KioskScreen] = set()
        self._unsubscribe = self.services.events.subscribe(self._post_device_event)
        self.services.restart_app = self._restart_for_platform
        self.animation_level = "none"
        # 长辈模式 enlarges the terminal's cells (kitty / xterm); technicians read font_status.
        self.font = detect(config.ui.font_control, write=self._write_from_thread)
        self.font_status = self.font.describe()
        # Spoken prompts (on by default in 长辈模式); status tells a technician why it is silent.
        self.speaker = Speaker(
            config.ui.speech, config.ui.speech_rate, variant=config.ui.traditional_variant
        )

    def _post_device_event(self, event: DeviceEvent) -> None:
        """From a device's thread onto the UI loop (post_message is thread-safe)."""
        self.post_message(DeviceEventMessage(event))

    # --- lifecycle -------------------------------------------------------------------
    def on_mount(self) -> None:
        self.title = t("app.title", self.language)
        self.set_class(self.elder, "-elder")
        self.theme = "kiosk-elder" if self.elder else "kiosk"
        if self.elder:
            self._switch_font(self.config.ui.elder_font_size)
        loop = asyncio.get_running_loop()
        workers.install(loop)  # thread workers on a pool started in full: threads stay constant
        self.lifecycle.bind(self._stop_for, loop.call_soon_threadsafe)
        self.push_screen(HomeScreen())
        self.set_interval(0.5, self.check_inactivity, name="inactivity")
        self.set_interval(3, self.refresh_status, name="status")
        if self.lifecycle.watchdog_interval_s:  # pinged from this loop: a frozen loop is seen
            self.set_interval(self.lifecycle.watchdog_interval_s, self.lifecycle.heartbeat)
        self.call_after_refresh(self._first_paint_done)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height <= LARGE_CELL_ROWS, "-large-cells")

    def _first_paint_done(self) -> None:
        # Devices load heavy libraries (cv2, escpos, pyscard); start them only once the
        # home screen is up, so a resident never waits for the camera driver.
        if self._start_services:
            self._boot_services()
        self._announce_ready()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from kiosk.theme import VARIABLE_DEFAULTS

        return VARIABLE_DEFAULTS

    def on_load(self) -> None:
        from kiosk.theme import THEMES

        for theme in THEMES:
            self.register_theme(theme)

    def _stop_for(self, status: ExitStatus, detail: str) -> None:
        """The lifecycle's way to stop the UI (on this loop): the resident's data goes first."""
        if self.is_running:
            with contextlib.suppress(Exception):
                self.end_session(status.why)
            self.exit(int(status), return_code=int(status))

    RESTART_EXIT = 75  # EX_TEMPFAIL: systemd's Restart=on-failure starts the kiosk again

    def _restart_for_platform(self) -> None:
        """The platform's "restart" command (from the heartbeat thread): end the session and
        leave with RESTART_EXIT so the supervisor starts a fresh kiosk."""
        log.warning("restarting at the platform's request")

        def leave() -> None:
            self.end_session("restart")
            self.exit(self.RESTART_EXIT, return_code=self.RESTART_EXIT)

        try:
            self.call_from_thread(leave)
        except RuntimeError:  # already on the UI thread (a beat run from there)
            leave()

    def _announce_ready(self) -> None:
        """For `kiosk bench`: say when the home screen is up (and leave if asked to)."""
        fd = os.environ.get("KIOSK_READY_FD")
        if fd:
            import resource

            rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with contextlib.suppress(OSError):
                os.write(int(fd), f"ready {rss_kb}\n".encode())
        self.lifecycle.ready()
        if os.environ.get("KIOSK_EXIT_WHEN_READY"):
            self.exit(0)

    def on_unmount(self) -> None:
        self.lifecycle.arm_hard_exit()  # shutting down, however it began: bound it
        self._unsubscribe()
        self.speaker.close()
        gc.unfreeze()  # see _boot_services (tests run many apps in one process)
        gc.set_threshold(*self._gc_threshold)

    @work(thread=True, exit_on_error=False, group="services", name="start services")
    def _boot_services(self) -> None:
        self.services.start()
        self.call_from_thread(self.refresh_status)
        from kiosk import pinyin

        pinyin.load()  # the keyboard's lexicon, so the first search never waits for it
        # What is loaded by now (modules, lexicons, the catalog, Textual's CSS) lives as long
        # as the kiosk: frozen out of the collector's sight, a full collection no longer walks
        # ~300k objects in the middle of a resident's tap (100-200 ms, issue 7).
        gc.collect()
        gc.freeze()
        # Full collections wait for the end of a session (_collect_while_idle) rather than
        # start by themselves every few thousand widgets' worth of allocations.
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, self.FULL_COLLECTION_EVERY)

    # --- one broken screen never takes the terminal down ------------------------------
    def _handle_exception(self, error: Exception) -> None:
        pump = active_message_pump.get(None)
        screen = getattr(pump, "screen", None) if pump is not self else None
        recoverable = (
            self.is_running
            and isinstance(screen, KioskScreen)
            and not isinstance(screen, HomeScreen)
        )
        log.error(
            "unhandled error in the UI",
            exc_info=error,
            extra={"where": type(pump).__name__, "recovered": recoverable},
        )
        if not recoverable:
            self.lifecycle.request_exit(ExitStatus.UNHANDLED_ERROR, type(error).__name__)
            super()._handle_exception(error)
            return
        self.call_later(self.end_session, "error")

    # --- input and the resident's session --------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.Paste) and not (
            self._copy_of_a_counted_touch(event)
        ):
            self.note_activity()
        await super().on_event(event)

    _touch_counted: tuple[float, float] | None = None

    def _copy_of_a_counted_touch(self, event: events.Event) -> bool:
        """A touch reaches the app twice: as the terminal driver posts it, and as the copy
        that bubbles back from the widget once the tap was handled (after 返回首页 ended the
        session, that copy would start a new one). Count the first only; a copy alone still
        counts (Textual's Pilot forwards its clicks straight to the screen)."""
        if not isinstance(event, events.MouseDown):
            return False
        spot = (event.screen_x, event.screen_y)
        if event.is_forwarded and spot == self._touch_counted:
            self._touch_counted = None
            return True
        self._touch_counted = None if event.is_forwarded else spot
        return False

    def note_activity(self) -> None:
        if self.session is None:
            if self.services.locked:  # out of service: taps start nothing
                return
            self.start_session()
        else:
            self.idle.touch()

    def start_session(self) -> ResidentSession:
        if self.session is not None:
            return self.session
        self.session = ResidentSession()
        self._apply_idle_policy()
        self.idle.start()
        log.info("session started", extra={"session": self.session.id})
        return self.session

    def end_session(self, reason: str) -> None:
        """Drop the resident's data from memory and screen; return to the attract screen."""
        session, self.session = self.session, None
        self.idle.stop()
        self.speaker.stop()
        if session is not None:
            session.wipe()
            log.info("session ended", extra={"session": session.id, "reason": reason})
        self.services.forget_resident()
        for screen in self.screen_stack:  # workers may keep a popped screen alive a while
            if isinstance(screen, KioskScreen):
                screen.forget_resident()
        for kept in self._kept.values():
            kept.forget_resident()
        while len(self.screen_stack) > 2:  # [default, home, ...]
            self.pop_screen()
        if self.services.locked:
            self.call_later(self._apply_lock)
        for kind in ("idcard", "smartcard"):
            reader = self.services.device(kind)
            if reader is not None and getattr(reader, "card_present", False):
                self.stale_cards.add(kind)  # never read again for the next person
                if session is not None:
                    self._home().show_card_left(kind)
        # The next person inherits nothing: language and 长辈模式 go back to the defaults.
        if session is not None and reason != "staff mode":
            if self.language != self.config.ui.language:
                self.set_language(self.config.ui.language)
            if self.elder != self.config.ui.elder_mode:
                self.set_elder(self.config.ui.elder_mode)
        if session is not None:
            self.set_timer(self.COLLECT_AFTER_S, self._collect_while_idle)

    # A full garbage collection takes 100-250 ms here; run one when the resident has gone,
    # so one rarely starts by itself in the middle of the next resident's tap (issue 7).
    COLLECT_AFTER_S = 1.0
    FULL_COLLECTION_EVERY = 100  # middle-generation collections (Python's default: 10)
    _gc_threshold = gc.get_threshold()

    def _collect_while_idle(self) -> None:
        if self.session is None:
            # The session's screens and answers are cycles: only this collection frees them,
            # after the session end's trim, so their pages go back to the system here.
            collect_and_release()

    def _home(self) -> HomeScreen:
        return next(s for s in self.screen_stack if isinstance(s, HomeScreen))

    def continue_session(self) -> None:
        self.idle.touch()
        self.check_inactivity()

    def check_inactivity(self) -> None:
        if not self.screen_stack:  # shutting down: the timer may fire once more
            return
        try:
            self._check_inactivity()
        except Exception:  # runs in the app's own loop: a bug here must not take it down
            log.exception("inactivity check failed")
            with contextlib.suppress(Exception):
                self.end_session("error")  # when in doubt, the resident's data goes

    def _check_inactivity(self) -> None:
        phase = self.idle.phase()
        warning = self.screen if isinstance(self.screen, CountdownScreen) else None
        if phase is IdlePhase.WARNING:
            if warning is None:
                self.push_screen(CountdownScreen(self.idle.seconds_left()))
                seconds = round(self.idle.seconds_left())
                self.speak(f"{self.t('idle.title')} {self.t('idle.body', s=seconds)}")
            else:
                warning.set_seconds(self.idle.seconds_left())
        elif phase is IdlePhase.EXPIRED:
            self.end_session("timeout")
        elif warning is not None:
            self.pop_screen()

    def screen_resumed(self, screen: KioskScreen) -> None:
        self._apply_idle_policy(screen)
        screen.show_status(self.status_snapshot())
        self.speak_step()

    # --- spoken prompts ------------------------------------------------------------------
    def speak(self, text: str | None) -> None:
        """Say `text` in the resident's language if speech is on (else stay silent); a new
        prompt stops the one playing. Never raises: speech is a help, not a step."""
        if text and self.speaker.wanted(self.elder):
            self.speaker.say(text, self.language)
        else:
            self.speaker.stop()

    def speak_step(self) -> None:
        """Say the current step's main prompt (after a step change, a language switch, or
        turning 长辈模式 on)."""
        if not self.speaker.wanted(self.elder):
            self.speaker.stop()  # silent: no prompt to read off the screen at each step
            return
        screen = self.screen if self.screen_stack else None
        self.speak(screen.spoken_prompt() if isinstance(screen, KioskScreen) else None)

    def repeat_prompt(self) -> None:
        """The 🔊 重听 button: the last prompt again, even if it was stopped."""
        if self.speaker.wanted(self.elder):
            self.speaker.repeat()

    def _apply_idle_policy(self, screen: KioskScreen | None = None) -> None:
        if screen is None and self.screen_stack:  # none while starting or stopping
            top = self.screen_stack[-1]
            screen = top if isinstance(top, KioskScreen) else None
        base = self.config.ui.elder_idle_timeout_s if self.elder else self.config.ui.idle_timeout_s
        self.idle.timeout = base * (screen.IDLE_FACTOR if screen else 1.0)
        self.idle.countdown = self.config.ui.countdown_s * (2 if self.elder else 1)

    _out_of_service: Screen[None] | None = None

    def _apply_lock(self) -> None:
        OutOfServiceScreen = _load(OTHER_SCREENS["out_of_service"])

        # One out-of-service screen, even when two status refreshes come before it mounts.
        showing = self._out_of_service is not None or any(
            isinstance(s, OutOfServiceScreen) for s in self.screen_stack
        )
        staff_at_work = any(getattr(screen, "STAFF", False) for screen in self.screen_stack)
        if self.services.locked and not showing and not staff_at_work:
            self.end_session("out of service")
            self._out_of_service = OutOfServiceScreen()
            self.push_screen(self._out_of_service)
        elif not self.services.locked and showing:
            self._out_of_service = None
            while any(isinstance(s, OutOfServiceScreen) for s in self.screen_stack):
                self.pop_screen()

    # --- language, 长辈模式, call staff ---------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return t(key, self.language, **values)

    def set_language(self, language: str) -> None:
        if not is_language(language):
            raise ValueError(language)
        self.language = language
        self.title = t("app.title", language)
        self._retranslate()
        self.speak_step()

    def set_elder(self, on: bool) -> None:
        self._switch_font(self.config.ui.elder_font_size if on else self.config.ui.font_size)
        self.elder = on
        self.set_class(on, "-elder")
        self.theme = "kiosk-elder" if on else "kiosk"
        self._apply_idle_policy()
        self._retranslate()
        self.speak_step()

    def _retranslate(self) -> None:
        for screen in self.screen_stack:
            self._retranslate_screen(screen)
        # A kept screen not shown now catches up when it is shown again (`_show_kept`).
        self._stale.update(s for s in self._kept.values() if s not in self.screen_stack)

    def _retranslate_screen(self, screen: Screen[Any]) -> None:
        self._stale.discard(screen)
        for widget in screen.query("*"):
            if isinstance(widget, Translatable):
                widget.retranslate()
        for bar in screen.query(BottomBar):
            bar.sync_state()
        for indicator in screen.query(StepIndicator):
            indicator.retranslate()
        if isinstance(screen, KioskScreen):
            screen.retranslate()
            screen.show_status(self.status_snapshot())
        elif callable(retranslate := getattr(screen, "retranslate", None)):
            retranslate()  # a modal step (number pad, picker) with its own texts

    @work(thread=True, exclusive=True, exit_on_error=False, group="font", name="font size")
    def _switch_font(self, points: float) -> None:
        """Ask the terminal for larger (or normal) cells; it re-lays us out on SIGWINCH.
        A terminal that cannot is a technician's matter: logged, never shown to a resident."""
        from kiosk.display.font import FontSwitchError

        try:
            self.font.set_size(points)
            self.font_status = f"{self.font.describe()}: {points:g} pt"
        except FontSwitchError as exc:
            self.font_status = f"font switch failed: {exc}"
            log.warning("font switch failed", extra={"error": str(exc)})

    def _write_from_thread(self, text: str) -> None:
        def write() -> None:
            if self._driver is not None:
                self._driver.write(text)

        self.call_from_thread(write)

    STAFF_TAPS, STAFF_TAP_WINDOW_S = 5, 3.0

    def staff_tap(self) -> None:
        """Five taps on the terminal name within three seconds open the staff PIN pad."""
        now = self.idle.clock()
        self._staff_taps = [
            t for t in getattr(self, "_staff_taps", []) if now - t < self.STAFF_TAP_WINDOW_S
        ]
        self._staff_taps.append(now)
        if len(self._staff_taps) >= self.STAFF_TAPS:
            self._staff_taps = []
            if self.staff_pin_locked():
                self.notify(self.t("staff.pin_locked"), timeout=8)
                return
            from kiosk.screens.staff import StaffPinScreen, StaffScreen

            def entered(ok: bool | None) -> None:
                if ok:
                    self.pin_lockout.succeeded()
                    log.info("staff mode entered")
                    self.end_session("staff mode")
                    self.push_screen(StaffScreen())

            self.push_screen(StaffPinScreen(), entered)

    @work(thread=True, exit_on_error=False, group="staff-card")
    def check_staff_card(self) -> None:
        """A card on the smart-card reader whose number is in staff.card_numbers opens the
        staff screen, as the PIN does (read off the UI thread: a card read takes a second)."""
        from kiosk import staffcard

        reader = self.services.smartcard
        number = staffcard.card_number(reader) if reader is not None else None
        if staffcard.is_staff_card(number, self.config.staff.card_numbers) and number:
            self.call_from_thread(self._staff_card_signed_in, staffcard.masked(number))

    def _staff_card_signed_in(self, card: str) -> None:
        from kiosk.screens.staff import StaffScreen

        if any(getattr(screen, "STAFF", False) for screen in self.screen_stack):
            return
        self.services.record_audit("staff_card_signin", card=card)
        log.info("staff mode entered by card", extra={"card": card})
        self.end_session("staff mode")
        self.push_screen(StaffScreen())

    PIN_TRIES, PIN_LOCK_S = 3, 300.0

    @property
    def pin_lockout(self) -> PinLockout:
        """Wrong-PIN count and lock, kept in the data dir: a restart does not reset them."""
        if getattr(self, "_pin_lockout", None) is None:
            self._pin_lockout = PinLockout(
                self.config.terminal.data_path, self.PIN_TRIES, self.PIN_LOCK_S, self.idle.clock
            )
        return self._pin_lockout

    def staff_pin_failed(self) -> bool:
        """Count a wrong PIN (audited); True when the pad must close and lock for a while.
        The lock doubles after each further round of wrong PINs."""
        locks = self.pin_lockout.failed()
        self.services.record_audit("staff_pin_failed", failures=self.pin_lockout.failures)
        if locks:
            log.warning("staff PIN pad locked", extra={"failures": self.pin_lockout.failures})
        return locks

    def staff_pin_locked(self) -> bool:
        return self.pin_lockout.locked()

    def call_staff(self) -> None:
        """呼叫工作人员: queued in the outbox (so it reaches staff offline too) and kept for
        the staff screen; the resident is told what happens next either way."""
        where = type(self.screen).__name__
        self._queue_staff_call(where)

    @work(thread=True, exit_on_error=False, group="staff-call")
    def _queue_staff_call(self, where: str) -> None:
        queued = actions.call_staff(self.services.outbox, where)
        self.call_from_thread(self._staff_call_queued, where, queued)

    def _staff_call_queued(self, where: str, queued: bool) -> None:
        self.staff_calls.append((time.time(), where, queued))
        self.bell()
        key = "chrome.staff_called" if queued else "chrome.staff_called_local"
        self.notify(self.t(key), timeout=10)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id.startswith("lang-"):
            self.set_language(button_id.removeprefix("lang-"))
        elif button_id in ("chrome-elder", "chrome-elder-top"):
            self.set_elder(not self.elder)
        elif button_id == "chrome-lang-next":
            from kiosk.widgets.chrome import next_language

            self.set_language(next_language(self.language))
        elif button_id == "chrome-staff":
            self.call_staff()
        elif button_id == "chrome-repeat":
            self.repeat_prompt()
        elif button_id == "chrome-home":
            self.request_home()
        elif button_id == "chrome-back":
            self.go_back()
        else:
            return
        event.stop()

    # --- journeys: the core decides the steps, the app shows each step's screen ---------
    journey: Journey | None = None

    def open_journey(self, name: str) -> None:
        """A way in from the home screen."""
        session = self.session or self.start_session()
        if name in ("idcard", "scan"):
            if session.identified:  # already identified: straight to choosing a service
                self.show_guide()
                return
            journey = Journey.identify_first()
            self._identify_by = "qr" if name == "scan" else "card"
            self._advance(journey, journey.start(session))
        elif name == "guide":
            self.show_guide()
        elif name == "ticket":
            self._advance(Journey.single(Kind.TICKET, Step.TICKET), Step.TICKET)
        elif name == "progress":
            self._advance(Journey.single(Kind.PROGRESS, Step.PROGRESS), Step.PROGRESS)

    _identify_by = "card"

    def show_guide(self) -> None:
        journey = Journey.single(Kind.IDENTIFY, Step.GUIDE)
        self._advance(journey, Step.GUIDE)

    def show_service_guide(self, service: Service) -> None:
        from kiosk.screens.service_guide import ServiceGuideScreen

        screen = self._reusable(ServiceGuideScreen)
        if screen is None:
            self.push_screen(self._keep(ServiceGuideScreen(service)))
        else:
            screen.service = service
            self._show_kept(screen)

    def begin_service(self, service: Service) -> None:
        """开始办理: the core plans the steps; identify first if the service needs it."""
        session = self.session or self.start_session()
        session.start_service(service)
        has_camera = self.services.device("camera") is not None and self.device_usable("camera")
        # The materials step says itself when the 高拍仪 fails (and offers the phone), so its
        # presence decides; the cached health may be a status tick behind a device just up.
        has_doccam = self.services.device("doccam") is not None
        journey = Journey.for_service(service, has_camera=has_camera, has_doccam=has_doccam)
        self._identify_by = "card"
        self._advance(journey, journey.start(session))

    def go_next(self, screen: KioskScreen) -> None:
        """The step on `screen` is done: show the next, or end the session at the end."""
        journey = screen.journey
        session = self.session
        if journey is None or session is None:
            return
        if journey.current is not screen.step:  # a late result from a step already left
            return
        step = journey.next(session)
        if step is None:
            self.end_session("done")
        else:
            self._advance(journey, step)

    def _advance(self, journey: Journey, step: Step | None) -> None:
        if step is None:
            return
        target = STEP_SCREENS[step]
        if step is Step.IDENTIFY and self._identify_by == "qr":
            target = QR_IDENTIFY_SCREEN
        kind = _load_step(target)
        kept = self._reusable(kind)
        screen = kept or self._keep(kind())
        screen.journey, screen.step = journey, step
        self.journey = journey
        if kept is None:
            self.push_screen(screen)
        else:
            self._show_kept(kept)

    def _reusable(self, kind: type[S]) -> S | None:
        """The kept screen of `kind` if it can be shown now (not when it is showing already)."""
        kept = self._kept.get(kind)
        if not isinstance(kept, kind) or not kept.is_running or kept in self.screen_stack:
            return None
        return kept

    def _keep(self, screen: S) -> S:
        """Keep a new REUSABLE screen (the first of its class) for next time: an installed
        screen stays built when it is popped."""
        kind = type(screen)
        if screen.REUSABLE and kind not in self._kept:
            self.install_screen(screen, f"kept-{kind.__name__}")
            self._kept[kind] = screen
        return screen

    def _show_kept(self, screen: KioskScreen) -> None:
        screen.reuse()
        if screen in self._stale:
            self._retranslate_screen(screen)
        self.push_screen(screen)

    def can_go_back(self) -> bool:
        screen = self.screen
        return (
            isinstance(screen, KioskScreen) and screen.can_go_back() and len(self.screen_stack) > 2
        )

    def go_back(self) -> None:
        """上一步: one step back, keeping what was entered (answers live in the session)."""
        screen = self.screen
        if not isinstance(screen, KioskScreen) or len(self.screen_stack) <= 2:
            return
        journey = screen.journey
        if journey is None:
            self.pop_screen()
            return
        if not journey.can_go_back():
            return
        target = journey.back()
        self._pop_to(journey, target)

    def back_to(self, step: Step) -> KioskScreen | None:
        """Back to an earlier step of the current journey (修改 on the review page)."""
        screen = self.screen
        journey = screen.journey if isinstance(screen, KioskScreen) else None
        if journey is None or journey.back_to(step) is not step:
            return None
        return self._pop_to(journey, step)

    def _pop_to(self, journey: Journey, target: Step | None) -> KioskScreen | None:
        while len(self.screen_stack) > 2:
            top = self.screen_stack[-1]
            if isinstance(top, KioskScreen) and top.journey is journey and top.step is target:
                return top
            if isinstance(top, KioskScreen) and top.journey is not journey and target is None:
                break
            self.pop_screen()
        below = self.screen_stack[-1]
        self.journey = below.journey if isinstance(below, KioskScreen) else None
        return below if isinstance(below, KioskScreen) else None

    def show_diagnostics(self) -> None:
        self.push_screen(_load(OTHER_SCREENS["diagnostics"])())

    def request_home(self) -> None:
        """返回首页: ask first when it would throw away what the resident entered."""
        session = self.session
        unsaved = (
            session is not None
            and session.has_entered_data
            and (self.journey is None or self.journey.can_go_back())
        )
        if not unsaved:
            self.end_session("home")  # "首页" means "I am done": the next person inherits nothing
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.end_session("home")

        self.push_screen(_load(OTHER_SCREENS["confirm_home"])(), answered)

    def ask_search(self, current: str, done: ScreenResultCallbackType[str | None]) -> None:
        """The on-screen keyboard for search words (pinyin letters or hanzi)."""
        field = FormField("search", "搜索事项", "Search services", "搜索事項", max_length=20)
        self.push_screen(_load(OTHER_SCREENS["field_input"])(field, current), done)

    def ask_reference(self, done: ScreenResultCallbackType[str | None]) -> None:
        """Letters and digits for a receipt's number (进度查询)."""
        field = FormField("reference", "受理编号", "Reference number", "受理編號",
                          max_length=64, input_hint="code")  # fmt: skip
        self.push_screen(_load(OTHER_SCREENS["field_input"])(field, ""), done)

    def ask_field(
        self,
        service: Service,
        name: str,
        done: ScreenResultCallbackType[str | None],
        current: str | None = None,
    ) -> None:
        """Open the on-screen input for one form field, starting from `current` (by default
        the answer so far); `done` gets the value (None: cancelled)."""
        field = service.field(name)
        if field is None or self.session is None:
            return
        if current is None:
            current = self.session.answers.get(name, "")
        self.push_screen(_load(OTHER_SCREENS["field_input"])(field, current), done)

    # --- devices and network ----------------------------------------------------------
    def device_usable(self, kind: str) -> bool:
        return self.health.get(kind, True)

    def on_device_event_message(self, message: DeviceEventMessage) -> None:
        event = message.event
        if (event.device == "smartcard" and event.kind is EventKind.CARD_PLACED
                and self.config.staff.card_numbers):  # fmt: skip
            self.check_staff_card()
        if event.kind is EventKind.CARD_PLACED:
            self.stale_cards.discard(event.device)  # put back: a new read is wanted
            if self.session is None and not self.services.locked:
                self.start_session()
        if event.device in ("idcard", "smartcard") and event.kind is EventKind.CARD_REMOVED:
            self.stale_cards.discard(event.device)
            self._home().show_card_left(None)
        screen = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(screen, KioskScreen) and screen.is_mounted:
            # In the screen's loop, a bug there is a recoverable journey error, not a crash.
            screen.post_message(ScreenDeviceEvent(event))
        self.refresh_status()

    def status_snapshot(self) -> dict[str, Any]:
        network, pending = self.services.network_state()
        if network == "syncing":
            network_text = self.t("chrome.syncing", n=pending)
        else:
            network_text = self.t(f"chrome.{network}")
        down = [kind for kind, ok in self.health.items() if not ok]
        degraded = (
            self.t("chrome.degraded", names="、".join(self.t(f"device.{k}") for k in down))
            if down
            else ""
        )
        return {
            "terminal": self.terminal_name(),
            "network": network,
            "network_text": network_text,
            "degraded_text": degraded,
        }

    def terminal_name(self) -> str:
        """The terminal's name in the resident's language (繁體 by OpenCC)."""
        terminal = self.config.terminal
        if self.language == "en":
            return terminal.name_en or terminal.name
        if self.language == "zh-Hant":
            return to_hant(terminal.name, variant())
        return terminal.name

    def refresh_status(self) -> None:
        try:
            self._refresh_status()
        except Exception:  # a status read runs in the app's own loop: never let it crash
            log.exception("status refresh failed")

    def _refresh_status(self) -> None:
        if not self.screen_stack:  # shutting down
            return
        self.health = {h.device: h.healthy for h in self.services.health()}
        for kind in self.services.failures:
            self.health.setdefault(kind, False)
        self._apply_lock()
        if isinstance(self.screen, KioskScreen):
            self.screen.show_status(self.status_snapshot())
