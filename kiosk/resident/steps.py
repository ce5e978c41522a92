"""The steps of each kind of service, and where the resident is: next, back and the step
indicator are computed here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.resident.service import Action, Service
from kiosk.resident.session import ResidentSession


class Step(StrEnum):
    IDENTIFY = "identify"  # card or phone QR
    FACE = "face"  # one good frame (verified at once for live records)
    FORM = "form"  # the resident's answers
    MATERIALS = "materials"  # 所需材料 under the document camera, with preview and 重拍
    REVIEW = "review"  # what will be sent, masked, with 修改 per field
    RECEIPT = "receipt"  # submitted: the receipt prints
    RECORD = "record"  # live record fetched and printed as a certificate
    RATING = "rating"  # 好差评, never forced
    GUIDE = "guide"  # choose a service (after identifying from the home screen)
    TICKET = "ticket"  # 取号
    PROGRESS = "progress"  # 进度查询


class Kind(StrEnum):
    APPLICATION = "application"
    RECORD = "record"
    TICKET = "ticket"
    PROGRESS = "progress"
    IDENTIFY = "identify"  # 刷身份证 on the home screen: identify, then choose a service


class Phase(StrEnum):
    """What the step indicator shows (i18n key steps.<value>)."""

    VERIFY = "verify"  # 核验身份
    FILL = "fill"  # 填写
    CONFIRM = "confirm"  # 确认
    DONE = "done"  # 完成
    CHOOSE = "choose"  # 选择事项


PHASE_OF = {
    Step.IDENTIFY: Phase.VERIFY,
    Step.FACE: Phase.VERIFY,
    Step.GUIDE: Phase.CHOOSE,
    Step.FORM: Phase.FILL,
    Step.MATERIALS: Phase.FILL,
    Step.REVIEW: Phase.CONFIRM,
    Step.RECEIPT: Phase.DONE,
    Step.RECORD: Phase.DONE,
    Step.RATING: Phase.DONE,
    Step.TICKET: Phase.DONE,
    Step.PROGRESS: Phase.DONE,
}

# Once one of these is shown, the resident cannot go back past it: it was submitted/printed.
POINT_OF_NO_RETURN = frozenset({Step.RECEIPT, Step.RECORD, Step.TICKET})
# Going back skips these: a face frame already taken is not taken again.
NOT_REVISITED = frozenset({Step.FACE})


def plan(service: Service, *, has_camera: bool, has_doccam: bool = False) -> tuple[Step, ...]:
    """The steps a service takes, in order. With a document camera, an application whose
    guide lists materials to photograph takes them after the form."""
    from kiosk.resident.materials import required_materials

    steps: list[Step] = []
    if service.needs_identity:
        steps.append(Step.IDENTIFY)
        if service.needs_verification and has_camera:
            steps.append(Step.FACE)
    if service.action is Action.PRINT_RECORD:
        if service.resident_fields:
            steps.append(Step.FORM)
        steps += [Step.RECORD, Step.RATING]
    else:
        steps.append(Step.FORM)
        if has_doccam and required_materials(service):
            steps.append(Step.MATERIALS)
        steps += [Step.REVIEW, Step.RECEIPT, Step.RATING]
    return tuple(steps)


def kind_of(service: Service) -> Kind:
    return Kind.RECORD if service.action is Action.PRINT_RECORD else Kind.APPLICATION


@dataclass
class Journey:
    """One pass through a plan. `history` is the steps shown, in order (the screen stack)."""

    kind: Kind
    steps: tuple[Step, ...]
    service: Service | None = None
    history: list[Step] = field(default_factory=list)

    @classmethod
    def for_service(
        cls, service: Service, *, has_camera: bool, has_doccam: bool = False
    ) -> Journey:
        return cls(kind_of(service), plan(service, has_camera=has_camera, has_doccam=has_doccam),
                   service)  # fmt: skip

    @classmethod
    def identify_first(cls) -> Journey:
        return cls(Kind.IDENTIFY, (Step.IDENTIFY, Step.GUIDE))

    @classmethod
    def single(cls, kind: Kind, step: Step) -> Journey:
        return cls(kind, (step,))

    @property
    def current(self) -> Step | None:
        return self.history[-1] if self.history else None

    def _needed(self, step: Step, session: ResidentSession) -> bool:
        if step is Step.IDENTIFY:
            return not session.identified
        if step is Step.FACE:
            return not session.face_done
        return True

    def start(self, session: ResidentSession) -> Step | None:
        """The first step to show (skipping what the session already has)."""
        self.history.clear()
        return self.next(session)

    def next(self, session: ResidentSession) -> Step | None:
        """Move on; None when the journey is over."""
        at = self.steps.index(self.current) + 1 if self.current in self.steps else 0
        for step in self.steps[at:]:
            if self._needed(step, session):
                self.history.append(step)
                return step
        return None

    def can_go_back(self) -> bool:
        return not any(step in POINT_OF_NO_RETURN for step in self.history)

    def back(self) -> Step | None:
        """Go back one step (skipping steps not revisited). None: leave the journey to where
        it started (the service's guide). Refused (stays) once past a point of no return."""
        if not self.can_go_back():
            return self.current
        while self.history:
            self.history.pop()
            if self.current not in NOT_REVISITED:
                return self.current
        return None

    def back_to(self, step: Step) -> Step | None:
        """Back to an earlier step (修改 on the review page goes to the form)."""
        if step not in self.history or not self.can_go_back():
            return self.current
        while self.current is not step:
            self.history.pop()
        return step

    def indicator(self) -> list[tuple[Phase, str]]:
        """The step indicator: each phase of this plan once, with "done" / "current" / "todo"."""
        phases: list[Phase] = []
        for step in self.steps:
            phase = PHASE_OF[step]
            if phase not in phases:
                phases.append(phase)
        here = PHASE_OF[self.current] if self.current else None
        states: list[tuple[Phase, str]] = []
        reached = False
        for phase in phases:
            if phase is here:
                states.append((phase, "current"))
                reached = True
            else:
                states.append((phase, "todo" if reached or here is None else "done"))
        return states

    def position(self) -> tuple[int, int]:
        """(n, of): the phase the resident is in, counting from 1."""
        states = self.indicator()
        current = next((i for i, (_, s) in enumerate(states) if s == "current"), 0)
        return current + 1, len(states)
