"""Where the gateway and its consumers meet in Redis, and how notices stay private.

Every key starts with a prefix (``kisapi:gw`` by default):

- ``<p>:consumers``: sorted set, consumer id -> last heartbeat (Redis server time, ms)
- ``<p>:wants:<consumer id>``: set of ``TR|key`` the consumer subscribes to
- ``<p>:status``: hash ``TR|key`` -> ``ok:<session>`` or ``refused:<reason>`` (gateway-written)
- ``<p>:wake``: pub/sub channel a consumer pings after changing its set
- ``<p>:alive``: the gateway's heartbeat (expires when it stops)
- ``<p>:s:<TR>:<key>``: stream of a quote TR's records for one key
- ``<p>:n:<account id>``: stream of one account's execution notices, sealed

Execution notices are keyed by an *account id*, ``HMAC-SHA256(app secret, account)``: only a
holder of the app secret can name the stream, and its entries are AES-GCM sealed with a key
derived the same way, so reading Redis alone reveals neither the account nor its fills.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kisapi_runtime.config import Account
from kisapi_runtime.errors import KisError

__all__ = [
    "NOTICE_KEY",
    "RECORD_SEP",
    "GatewayKeys",
    "NoticeSeal",
    "account_id",
    "pair",
    "split_pair",
]

DEFAULT_PREFIX: Final = "kisapi:gw"
RECORD_SEP: Final = "\x1e"
"""Between the records of one stream entry (fields are ``^``-separated, as KIS sends them)."""
NOTICE_KEY: Final = "@"
"""A notice registration's key is ``@<account id>``: the HTS ID never reaches Redis."""
_NONCE: Final = 12


class GatewayKeys:
    """The Redis key names under one prefix."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        if not prefix or any(ch.isspace() for ch in prefix):
            raise ValueError("the gateway prefix must be non-empty without spaces")
        self.prefix = prefix
        self.consumers = f"{prefix}:consumers"
        self.status = f"{prefix}:status"
        self.wake = f"{prefix}:wake"
        self.alive = f"{prefix}:alive"

    def wants(self, consumer: str) -> str:
        return f"{self.prefix}:wants:{consumer}"

    def stream(self, tr_id: str, key: str) -> str:
        """The stream of (``tr_id``, ``key``); a notice key names its account's stream."""
        if key.startswith(NOTICE_KEY):
            return f"{self.prefix}:n:{key[len(NOTICE_KEY) :]}"
        return f"{self.prefix}:s:{tr_id}:{key}"


def pair(tr_id: str, key: str) -> str:
    return f"{tr_id}|{key}"


def split_pair(text: str) -> tuple[str, str]:
    tr_id, _, key = text.partition("|")
    return tr_id, key


def _derive(appsecret: str, purpose: str, account: Account) -> bytes:
    message = f"kisapi-gateway/{purpose}/{account.cano}-{account.product}".encode()
    return hmac.new(appsecret.encode(), message, hashlib.sha256).digest()


def account_id(appsecret: str, account: Account) -> str:
    """The name an account goes by in Redis: 32 hex digits only the app secret can produce."""
    return _derive(appsecret, "account", account).hex()[:32]


class KisNoticeSealError(KisError):
    """A sealed notice did not open: the credentials are not those of its account."""


class NoticeSeal:
    """AES-GCM with a key only holders of the account's app secret can derive."""

    __slots__ = ("_aes",)

    def __init__(self, appsecret: str, account: Account) -> None:
        self._aes = AESGCM(_derive(appsecret, "notice-key", account))

    def __repr__(self) -> str:
        return "NoticeSeal(***)"

    def seal(self, text: str) -> str:
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + self._aes.encrypt(nonce, text.encode(), None)).decode()

    def open(self, sealed: str) -> str:
        data = base64.b64decode(sealed)
        try:
            return self._aes.decrypt(data[:_NONCE], data[_NONCE:], None).decode()
        except (InvalidTag, ValueError):
            raise KisNoticeSealError("a notice did not open with this account's key") from None
