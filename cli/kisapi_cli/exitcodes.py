"""Exit codes of ``kisapi``, so scripts can tell failures apart."""

from __future__ import annotations

from typing import Final

from kisapi_runtime.errors import (
    KisApiError,
    KisConfigError,
    KisConnectionError,
    KisError,
    KisMockUnsupportedError,
    KisOrderStateUnknownError,
    KisValidationError,
)

OK: Final = 0
ERROR: Final = 1
"""Anything not listed below (a decoding failure, a bug)."""
USAGE: Final = 2
"""Bad arguments: unknown option, a value KIS would refuse, an API the mock server lacks."""
CONFIG: Final = 3
"""Missing or bad configuration (KIS_APPKEY, KIS_APPSECRET, KIS_ACCOUNT, KIS_CONFIG...)."""
REJECTED: Final = 4
"""KIS answered with an error (rt_cd != 0): order rejected, bad request, rate limit, auth."""
STATE_UNKNOWN: Final = 5
"""An order was sent but its outcome is unknown: check the order list before retrying."""
NETWORK: Final = 6
"""The request could not reach KIS, or timed out (a query; nothing was changed)."""

TABLE: Final = (
    (OK, "success (a dry-run order included)"),
    (ERROR, "unexpected failure"),
    (USAGE, "invalid arguments or values; nothing was sent"),
    (CONFIG, "missing or invalid configuration; nothing was sent"),
    (REJECTED, "KIS answered with an error"),
    (STATE_UNKNOWN, "order outcome unknown: check before retrying"),
    (NETWORK, "network failure or timeout"),
)


def code_for(error: BaseException) -> int:
    """The exit code for an exception raised by the SDK."""
    if isinstance(error, KisValidationError | KisMockUnsupportedError):
        return USAGE
    if isinstance(error, KisConfigError):
        return CONFIG
    if isinstance(error, KisOrderStateUnknownError):
        return STATE_UNKNOWN
    if isinstance(error, KisApiError):
        return REJECTED
    if isinstance(error, KisConnectionError):
        return NETWORK
    if isinstance(error, KisError):
        return ERROR
    return ERROR
