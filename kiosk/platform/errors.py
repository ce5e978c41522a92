"""Typed errors of the platform client. Callers decide "retry later" vs "give up" by type."""

from __future__ import annotations


class PlatformError(Exception):
    """Anything that went wrong talking to the platform."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PlatformUnavailable(PlatformError):
    """Network error, timeout, 408, 429 or 5xx: try again later (not before retry_after s)."""

    def __init__(self, reason: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(reason)
        self.retry_after = retry_after
        self.status = status


class PlatformRejected(PlatformError):
    """400/422/other 4xx in the platform's own error body: the request itself is wrong;
    resending it unchanged will not help. A 4xx that is not the platform's (a proxy's or
    captive portal's HTML page) is PlatformUnavailable instead."""

    def __init__(self, status: int, reason: str, code: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.code = code or reason.split(":", 1)[0]  # e.g. invalid_request, unknown_resident


class PlatformAuthError(PlatformError):
    """401: bad signature, wrong secret, clock skew or replay; retry later, log loudly.

    `clock_skew_s` (terminal clock minus the platform's, from its Date header or its
    stale_timestamp reason) is set when the platform answered one."""

    def __init__(
        self, reason: str, code: str | None = None, clock_skew_s: float | None = None
    ) -> None:
        super().__init__(reason)
        self.code = code or reason.split(":", 1)[0]  # bad_signature | stale_timestamp | replayed
        self.clock_skew_s = clock_skew_s


class PlatformBadResponse(PlatformError):
    """The platform answered something that does not match the API document."""


class PlatformNotFound(PlatformRejected):
    """404: the resident, record, application or reference does not exist."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(404, reason, code)
