"""Secrets that never show themselves in reprs, logs or exception texts."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final

_MASK: Final = "***"


class Secret:
    """A string that prints as ``Secret('***')``; read it with :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret values cannot be pickled")


def mask_account(account: str) -> str:
    """``12345678-01`` -> ``1234****-01``: enough to tell accounts apart, not to use one."""
    digits = account.replace("-", "")
    if len(digits) < 4:
        return _MASK
    return (
        digits[:4]
        + "*" * max(len(digits) - 6, 0)
        + ("-" + digits[-2:] if len(digits) >= 10 else "")
    )


class RedactingFilter(logging.Filter):
    """Logging filter that replaces every registered secret value with ``***``.

    The SDK installs one on its own loggers; users may add it to theirs.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._values: set[str] = {s for s in secrets if len(s) >= 4}
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str) -> None:
        new = {v for v in values if v and len(v) >= 4}
        if not new <= self._values:
            self._values |= new
            self._pattern = None

    def redact(self, text: str) -> str:
        if not self._values:
            return text
        if self._pattern is None:
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))
        return self._pattern.sub(_MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._values:
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg = redacted
                record.args = None
        return True


SDK_LOGGER_NAME: Final = "kisapi"
REDACTOR: Final = RedactingFilter()
"""Process-wide filter on every ``kisapi`` logger; clients register their secrets here."""


def get_logger(name: str) -> logging.Logger:
    """A ``kisapi.*`` logger with the redacting filter attached (filters do not propagate)."""
    logger = logging.getLogger(f"{SDK_LOGGER_NAME}.{name}" if name else SDK_LOGGER_NAME)
    if REDACTOR not in logger.filters:
        logger.addFilter(REDACTOR)
    return logger


LIBRARY_LOGGERS: Final = (
    "httpx", "httpcore", "h11", "h2", "hpack", "websockets", "asyncio", "uvicorn", "urllib3",
    "vcr", "respx", "kisapi_sandbox", "redis",
)  # fmt: skip
"""Loggers whose lines can carry the SDK's URLs, headers or frames (``?CANO=...``): the HTTP
and WebSocket libraries, libraries that patch or record them (vcrpy logs whole requests and
responses), the sandbox server when it runs in the same process (tests), and redis-py (its
errors can carry the ``limits_url``)."""


KNOWN_CHILDREN: Final = (
    "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
    "httpcore.socks", "websockets.client", "websockets.server", "websockets.protocol",
    "uvicorn.access", "uvicorn.asgi", "uvicorn.error", "vcr.cassette", "vcr.request",
    "vcr.stubs",
)  # fmt: skip
"""Loggers those libraries create lazily (websockets at connect time): made in advance so
they exist, guarded, when the library asks for them."""


def guard_library_loggers() -> None:
    """Attach the redacting filter to the HTTP and WebSocket libraries' loggers.

    Logger filters do not propagate, so every existing ``httpcore.*`` / ``websockets.*``
    logger gets its own; called whenever a client or a realtime session starts, so loggers
    the libraries create on import are covered without the user configuring anything.
    """
    roots = frozenset(LIBRARY_LOGGERS)
    names = {name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in roots}
    for name in names | roots | set(KNOWN_CHILDREN):
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)
