"""An IPP printer's state in the XFS4IoT words the other devices use.

CUPS reports `printer-state` (3 idle, 4 processing, 5 stopped), `printer-state-reasons`
(RFC 8011 keywords with -report/-warning/-error suffixes, e.g. media-empty-error,
toner-low-report, door-open-error) and marker levels (percent, -1 unknown). Staff read paper,
toner and door from these; the device state says whether a job can print now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.devices.base import DeviceState, PaperState

IPP_IDLE, IPP_PROCESSING, IPP_STOPPED = 3, 4, 5


def _has(reasons: frozenset[str], *stems: str) -> bool:
    """A reason keyword with any severity suffix (media-empty, media-empty-error, ...)."""
    return any(r == s or r.startswith(s + "-") for r in reasons for s in stems)


@dataclass(frozen=True)
class A4Status:
    ipp_state: int
    reasons: frozenset[str]
    accepting: bool
    toner_percent: int | None  # None: the printer has not reported a level
    message: str = ""

    @property
    def paper(self) -> PaperState:
        if _has(self.reasons, "media-jam"):
            return PaperState.JAMMED
        if _has(self.reasons, "media-empty", "media-needed", "input-tray-missing"):
            return PaperState.OUT
        if _has(self.reasons, "media-low"):
            return PaperState.LOW
        return PaperState.FULL

    @property
    def toner(self) -> str:
        """XFS4IoT supply words: full, low, out, unknown."""
        if _has(self.reasons, "toner-empty", "marker-supply-empty"):
            return "out"
        if _has(self.reasons, "toner-low", "marker-supply-low"):
            return "low"
        if self.toner_percent is None or self.toner_percent < 0:
            return "unknown"
        return "low" if self.toner_percent <= 15 else "full"

    @property
    def door(self) -> str:
        return (
            "open" if _has(self.reasons, "door-open", "cover-open", "interlock-open") else "closed"
        )

    @property
    def problem(self) -> str | None:
        """Why a job cannot print now, as a stable key the UI words (None: it can)."""
        if self.door == "open":
            return "door_open"
        if self.paper is PaperState.JAMMED:
            return "paper_jammed"
        if self.paper is PaperState.OUT:
            return "paper_out"
        if self.toner == "out":
            return "toner_out"
        if self.ipp_state == IPP_STOPPED or _has(self.reasons, "offline", "paused"):
            return "stopped"
        if not self.accepting:
            return "not_accepting"
        return None

    @property
    def device_state(self) -> DeviceState:
        problem = self.problem
        if problem in ("door_open", "paper_out", "paper_jammed", "toner_out"):
            return DeviceState.USER_ERROR  # staff can fix it: load paper, close the door
        if problem is not None:
            return DeviceState.OFFLINE
        if self.ipp_state == IPP_PROCESSING:
            return DeviceState.DEVICE_BUSY
        return DeviceState.ONLINE

    def details(self) -> dict[str, Any]:
        return {
            "paper": str(self.paper),
            "toner": self.toner,
            "toner_percent": self.toner_percent,
            "door": self.door,
            "problem": self.problem,
            "ipp_state": {IPP_IDLE: "idle", IPP_PROCESSING: "processing",
                          IPP_STOPPED: "stopped"}.get(self.ipp_state, str(self.ipp_state)),
            "reasons": sorted(self.reasons - {"none"}),
        }  # fmt: skip


# What status_from_ipp reads, and all a status poll asks for.
STATUS_ATTRIBUTES = ["printer-state", "printer-state-reasons", "printer-state-message",
                     "printer-is-accepting-jobs", "marker-levels"]  # fmt: skip
JOB_ATTRIBUTES = ["job-state", "job-state-reasons"]  # what following a job reads


def status_from_ipp(attributes: dict[str, Any]) -> A4Status:
    """Build from Get-Printer-Attributes' answer (ipp.py; the shape pycups gives too)."""
    raw_reasons = attributes.get("printer-state-reasons") or []
    if isinstance(raw_reasons, str):
        raw_reasons = [raw_reasons]
    levels = attributes.get("marker-levels")
    if isinstance(levels, int):
        levels = [levels]
    toner = levels[0] if isinstance(levels, list) and levels else None
    return A4Status(
        ipp_state=int(attributes.get("printer-state", IPP_STOPPED)),
        reasons=frozenset(str(r) for r in raw_reasons) - {"none"},
        accepting=bool(attributes.get("printer-is-accepting-jobs", False)),
        toner_percent=int(toner) if toner is not None else None,
        message=str(attributes.get("printer-state-message") or ""),
    )
