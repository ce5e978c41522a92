"""Journey step 填写: the service's form. Card fields come from the card, shown masked and
never typed; choices are buttons; every other answer opens its on-screen input (number pad,
date or region picker, pinyin keyboard). Answers live in the session, so 上一步 and 修改
keep them; each field says in plain words what to fix."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.resident import actions, forms
from kiosk.resident.identity import card_fields
from kiosk.resident.service import FormField, InputKind, Service
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton


class OnFile(Message):
    def __init__(self, session_id: str, phone: str | None) -> None:
        super().__init__()
        self.session_id, self.phone = session_id, phone


class FormScreen(KioskScreen):
    IDLE_FACTOR = 3.0

    def __init__(self) -> None:
        super().__init__()
        # The phone number the platform has on file, prefilled while the field is empty:
        # the resident need not key in 11 digits (shown masked, marked, changeable).
        self._on_file: dict[str, str] = {}
        self._looking_up: str | None = None  # the field waiting for the platform's answer

    @property
    def service(self) -> Service:
        service = self.session.service
        assert service is not None, "the form step needs a service"
        return service

    def compose_body(self) -> ComposeResult:
        language = self.kiosk.language
        yield Static(self.service.name(language), id="form-title", classes="title")
        card = card_fields(self.session.identity)
        with VerticalScroll(id="form-fields"):
            for f in self.service.form:
                label = f.label(language)
                if f.from_card:
                    value = forms.shown_value(f, card.get(f.name, ""), language) or "—"
                    yield Static(f"{label}：{value}", classes="form-card-field")
                elif f.input_kind is InputKind.CHOICE:
                    yield Static(label, classes="form-label")
                    with Horizontal(classes="form-options"):
                        for option in f.options:
                            yield Button(option.label(language), name=f"{f.name}={option.value}",
                                         classes=f"option -opt-{f.name}")  # fmt: skip
                    yield Static("", id=f"problem-{f.name}", classes="form-problem")
                else:
                    yield Button("", id=f"field-{f.name}", name=f.name, classes="form-field")
                    yield Static("", id=f"problem-{f.name}", classes="form-problem")
        yield TButton("form.next", id="form-next", classes="action", variant="success")

    def on_mount(self) -> None:
        actions.begin_transaction(self.services.outbox, self.session)
        phone = next((f for f in self.service.resident_fields
                      if f.input_kind is InputKind.PHONE), None)  # fmt: skip
        if (phone is not None and not self.session.answers.get(phone.name)
                and actions.can_look_up_on_file(self.services.platform, self.session)):  # fmt: skip
            self._looking_up = phone.name
            self._look_up_phone(self.session.id)
        self.refresh_fields()

    @work(thread=True, exclusive=True, exit_on_error=False, group="on-file")
    def _look_up_phone(self, session_id: str) -> None:
        self.post_message(OnFile(session_id, actions.phone_on_file(self.services.platform,
                                                                    self.session)))  # fmt: skip

    def on_on_file(self, message: OnFile) -> None:
        name, self._looking_up = self._looking_up, None
        session = self.kiosk.session
        if not self.is_attached or session is None or session.id != message.session_id:
            return  # the resident left before the answer came
        field = self.service.field(name or "")
        if field is not None and message.phone and not session.answers.get(field.name):
            self._store(field, message.phone)
            if session.answers.get(field.name) == message.phone:  # a valid number
                self._on_file[field.name] = message.phone
        self.refresh_fields()

    def refresh_fields(self, shown_problems: dict[str, str] | None = None) -> None:
        language = self.kiosk.language
        answers = self.session.answers
        for f in self.service.resident_fields:
            value = answers.get(f.name, "")
            if f.input_kind is InputKind.CHOICE:
                for button in self.query(".option"):
                    name, _, option = (button.name or "").partition("=")
                    if name == f.name:
                        button.set_class(option == value, "-chosen")
            else:
                shown = forms.shown_value(f, value, language) or self.kiosk.t(
                    "form.looking_up" if f.name == self._looking_up else "form.tap_to_fill"
                )
                if value and self._on_file.get(f.name) == value:
                    shown += self.kiosk.t("form.on_file")
                mark = "" if f.required else self.kiosk.t("form.optional")
                button = self.query_one(f"#field-{f.name}", Button)
                button.label = f"{f.label(language)}{mark}：{shown}   ✎"
                button.set_class(not value, "-empty")
                button.set_class(f.name == self._looking_up, "-looking-up")
            problem = (shown_problems or {}).get(f.name, "")
            line = self.query_one(f"#problem-{f.name}", Static)
            line.update(problem)
            line.display = bool(problem)

    def open_field(self, name: str) -> None:
        field = self.service.field(name)
        if field is None or field.input_kind is InputKind.CHOICE:
            return

        def entered(value: str | None) -> None:
            if value is None:
                return
            self._store(field, value)

        # a number on file is replaced, never shown in full on the pad (cancel keeps it)
        on_file = self._on_file.get(name)
        start = "" if on_file and self.session.answers.get(name) == on_file else None
        self.kiosk.ask_field(self.service, name, entered, start)

    def _store(self, field: FormField, raw: str) -> None:
        checked = forms.check(field, raw)
        self.session.answers[field.name] = checked.value
        problem = checked.problem
        self.refresh_fields(
            {field.name: problem.text(self.kiosk.language)} if problem and raw else None
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.has_class("option"):
            name, _, value = (button.name or "").partition("=")
            self.session.answers[name] = value
            self.refresh_fields()
        elif button.has_class("form-field"):
            self.open_field(button.name or "")
        elif button.id == "form-next":
            problems = forms.problems(self.service, self.session.answers)
            if problems:
                language = self.kiosk.language
                self.refresh_fields({k: p.text(language) for k, p in problems.items()})
                first = next(iter(problems))
                self.query_one(f"#problem-{first}").scroll_visible()
                return
            self.move_on()
        else:
            return
        event.stop()

    def retranslate(self) -> None:
        # Labels, card fields and options are all in the resident's language: draw the step
        # again rather than chase each one.
        self.call_later(self._redraw)

    async def _redraw(self) -> None:
        await self.recompose()
        self.refresh_fields()
