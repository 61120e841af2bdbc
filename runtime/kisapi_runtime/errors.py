"""Typed errors raised by the SDK.

Which exception a KIS ``msg_cd`` maps to, and whether retrying is safe, is data
(``spec/_shared/errors.yaml``, generated into the client); this module only holds the classes
and the lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple


class KisError(Exception):
    """Base class of every error raised by kisapi."""


class KisConfigError(KisError):
    """The client configuration is missing or invalid."""


class KisValidationError(KisError, ValueError):
    """A request argument is invalid; nothing was sent."""

    def __init__(self, api: str, field: str, reason: str) -> None:
        self.api = api
        self.field = field
        self.reason = reason
        super().__init__(f"{api}: {field}: {reason}")


class KisMockUnsupportedError(KisError):
    """The API has no mock (모의투자) version; nothing was sent."""

    def __init__(self, api: str) -> None:
        self.api = api
        super().__init__(f"{api}: KIS offers no mock (모의투자) version of this API")


class KisDecodeError(KisError):
    """A response did not match its spec (strict mode) or was not JSON."""


class KisConnectionError(KisError):
    """The request could not be delivered (connection refused, DNS, TLS)."""


class KisTimeoutError(KisConnectionError):
    """The server did not answer in time."""


class KisOrderStateUnknownError(KisError):
    """An order request may or may not have been placed; it was not retried.

    Raised for every outcome that proves neither acceptance (an order number in a parsable
    success) nor rejection (a KIS refusal code). Carries what is known: ``request`` (the wire
    parameters with account fields masked), ``status_code``, ``body`` (parsed JSON or raw text),
    ``msg_cd`` and ``order_number`` when KIS sent them, ``sent_at``. ``kis.reconcile(error)``
    looks the order up in the day's orders before anything is sent again.
    """

    def __init__(
        self,
        api: str,
        tr_id: str,
        cause: str,
        *,
        request: Mapping[str, str] | None = None,
        status_code: int | None = None,
        body: Mapping[str, Any] | str | None = None,
        msg_cd: str | None = None,
        order_number: str | None = None,
        choices: Mapping[str, str] | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        self.api = api
        self.tr_id = tr_id
        self.cause = cause
        self.request: Mapping[str, str] = dict(request or {})
        self.choices: Mapping[str, str] = dict(choices or {})
        """Selector values that chose the TR ID (``side``, ``session``...)."""
        self.sent_at = sent_at
        """When the request was handed to the network (aware datetime)."""
        self.status_code = status_code
        self.body = body
        self.msg_cd = msg_cd
        self.order_number = order_number
        super().__init__(
            f"{api} ({tr_id}): the order state is unknown after {cause}; it was NOT retried. "
            "Check today's orders (kis.reconcile(error)) before sending it again."
        )


class KisApiError(KisError):
    """KIS answered with ``rt_cd != "0"`` (or an HTTP error with a KIS body)."""

    def __init__(
        self,
        *,
        rt_cd: str | None,
        msg_cd: str | None,
        msg1: str | None,
        tr_id: str | None = None,
        api: str | None = None,
        status_code: int | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.rt_cd = rt_cd
        self.msg_cd = msg_cd
        self.msg1 = (msg1 or "").strip()
        self.tr_id = tr_id
        self.api = api
        self.status_code = status_code
        self.body = body
        where = f"{api} ({tr_id})" if api else (tr_id or "KIS")
        super().__init__(f"{where}: [{msg_cd}] {self.msg1} (rt_cd={rt_cd}, http={status_code})")


class KisRateLimitError(KisApiError):
    """Too many requests per second (EGW00201)."""


class KisAuthError(KisApiError):
    """The app key, secret or token was refused."""


class KisTokenExpiredError(KisAuthError):
    """The access token is invalid or expired (EGW00121/EGW00123)."""


class KisBadRequestError(KisApiError):
    """KIS rejected the request's parameters or headers."""


class KisOrderRejectedError(KisApiError):
    """KIS refused an order (quantity, price unit, balance, trading hours...)."""


class KisServerError(KisApiError):
    """KIS reported an internal error."""


class KisDataChangedError(KisApiError):
    """The data changed since the query began (``SYDB0050``): read it again from the first page.

    A paginated ``collect()`` does that once by itself; other calls raise this.
    """


class KisOrderBadRequestError(KisOrderRejectedError, KisBadRequestError):
    """An order refused for its parameters or headers: both a rejection and a bad request.

    Raised instead of :class:`KisBadRequestError` when the request was an order, so
    ``except KisOrderRejectedError`` catches every definitive refusal of an order.
    """


ERROR_CLASSES: dict[str, type[KisApiError]] = {
    cls.__name__: cls
    for cls in (
        KisApiError,
        KisRateLimitError,
        KisAuthError,
        KisTokenExpiredError,
        KisBadRequestError,
        KisOrderRejectedError,
        KisServerError,
        KisDataChangedError,
    )
}


class ErrorRule(NamedTuple):
    """What the SDK does with one KIS ``msg_cd`` (from ``spec/_shared/errors.yaml``)."""

    error: str
    retry: bool
    reissue_token: bool
    order_state_unknown: bool = False
    """On an order: KIS did not say whether it was placed ("check the previous transaction")."""


def classify(
    msg_cd: str | None, table: Mapping[str, ErrorRule], *, is_order: bool
) -> tuple[type[KisApiError], ErrorRule | None]:
    """Exception class and rule for ``msg_cd``.

    On orders, unknown codes count as rejections and bad requests as rejected orders.
    """
    rule = table.get(msg_cd or "")
    if rule is None:
        return (KisOrderRejectedError if is_order else KisApiError), None
    cls = ERROR_CLASSES[rule.error]
    if is_order and cls is KisBadRequestError:
        cls = KisOrderBadRequestError
    return cls, rule


class KisLimitStoreError(KisConnectionError):
    """The shared store of rate limits and tokens (``limits_url``, Redis) is unreachable and
    ``limits_fallback`` is ``fail``. The message names the store without its password."""
