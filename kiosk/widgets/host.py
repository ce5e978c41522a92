"""What the shared widgets need from the app they run in, typed. The app is KioskApp, or in
tests a bare host that gives the input widgets a language and 长辈模式 (tests/input_helpers.py),
so widgets see this Protocol rather than importing the app (which imports them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, cast

from textual.dom import DOMNode


class Host(Protocol):
    @property
    def language(self) -> str: ...

    @property
    def elder(self) -> bool:
        """长辈模式 is on."""
        ...

    # Only the chrome's bars and spoken labels use these; they run in KioskApp alone.
    def speak(self, text: str | None) -> None: ...

    def status_snapshot(self) -> Mapping[str, object]: ...

    def staff_tap(self) -> None: ...


def host(node: DOMNode) -> Host:
    return cast(Host, node.app)
