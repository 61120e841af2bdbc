"""Client configuration: from arguments, the environment (``KIS_*``) or a TOML file."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tomllib
import urllib.parse
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from .errors import KisConfigError
from .secret import REDACTOR, Secret, guard_library_loggers, mask_account

Env = Literal["real", "mock"]

REST_URLS: Mapping[str, str] = {
    "real": "https://openapi.koreainvestment.com:9443",
    "mock": "https://openapivts.koreainvestment.com:29443",
}
WS_URLS: Mapping[str, str] = {
    "real": "ws://ops.koreainvestment.com:21000",
    "mock": "ws://ops.koreainvestment.com:31000",
}
DEFAULT_RATE: Mapping[str, float] = {"real": 20.0, "mock": 2.0}
LimitsFallback = Literal["fail", "local"]
_LIMITS_SCHEMES = ("redis", "rediss", "unix")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")


@attrs.frozen(repr=False)
class Account:
    """A KIS account: 8-digit ``cano`` and 2-digit product code (01 stock, 03 futures...)."""

    cano: str
    product: str

    @classmethod
    def parse(cls, text: str) -> Account:
        digits = text.strip().replace("-", "")
        if len(digits) != 10 or not digits.isdigit():
            raise KisConfigError("account must look like 12345678-01 (8 digits, dash, 2 digits)")
        return cls(digits[:8], digits[8:])

    def __repr__(self) -> str:
        return f"Account('{mask_account(self.cano + self.product)}')"

    __str__ = __repr__


def _secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


def _optional_secret(value: str | Secret | None) -> Secret | None:
    return None if value is None else _secret(value)


def _account(value: str | Account | None) -> Account | None:
    return Account.parse(value) if isinstance(value, str) else value


def _flag(value: bool | str) -> bool:
    """A boolean from an argument, a TOML file or an environment variable (``0``/``off``...)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise KisConfigError(f"expected a boolean (1/0, true/false, yes/no, on/off), not {value!r}")


def _optional_path(value: str | os.PathLike[str] | None) -> Path | None:
    return None if value is None or value == "" else Path(value)


def describe_url(url: str) -> str:
    """``scheme://host:port/db`` of a store URL: no user name, password or query."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


_MOCK_DEFAULT_WARNED = False


def _env(value: str | None) -> Env:
    """``None`` (nobody said which) means mock: real orders need ``env="real"`` said explicitly."""
    global _MOCK_DEFAULT_WARNED
    if value is None:
        if not _MOCK_DEFAULT_WARNED:
            _MOCK_DEFAULT_WARNED = True
            warnings.warn(
                "kisapi: no environment given; using the mock (paper trading) environment. "
                "Pass env='real' (or KIS_ENV=real, or env = \"real\" in the KIS_CONFIG file) "
                "to trade with real money, env='mock' to silence this warning.",
                UserWarning,
                stacklevel=_outside_kisapi(),
            )
        return "mock"
    if value not in ("real", "mock"):
        raise KisConfigError(f"env must be 'real' or 'mock', not {value!r}")
    return value  # type: ignore[return-value]


def _outside_kisapi() -> int:
    """The ``stacklevel`` of the first caller outside kisapi (and attrs' generated ``__init__``),
    counted from :func:`_env`, so a warning names the user's line."""
    frame, level = sys._getframe(2), 2  # level 1 is _env, 2 its caller
    while frame is not None and (
        str(frame.f_globals.get("__name__", "")).startswith(("kisapi", "attr"))
        or frame.f_code.co_filename.startswith("<attrs")
    ):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "kisapi"


@attrs.frozen(kw_only=True)
class KisConfig:
    """Everything a client needs; secrets are :class:`Secret` and never print."""

    appkey: Secret = attrs.field(converter=_secret)
    appsecret: Secret = attrs.field(converter=_secret)
    env: Env = attrs.field(default=None, converter=_env)
    """``"real"`` or ``"mock"``; not given (``None``) means mock, with a one-time warning:
    a client places real orders only when told so (``env="real"``, ``KIS_ENV=real`` or the
    config file's ``env``)."""
    account: Account | None = attrs.field(default=None, converter=_account)
    hts_id: Secret | None = attrs.field(default=None, converter=_optional_secret)
    rest_url: str | None = None
    ws_url: str | None = None
    custtype: str = "P"
    timeout: float = 10.0
    rate_limit: float | None = attrs.field(default=None)
    """Calls per second; ``None`` means KIS's default for the environment, ``0`` disables."""
    max_retries: int = 2
    use_hashkey: bool = False
    cache_ttl: float = 0.0
    """Seconds to cache quotation GETs marked cacheable in the spec; 0 disables the cache."""
    token_cache_dir: Path = attrs.field(factory=_default_cache_dir, converter=Path)
    strict: bool = False
    """Raise on response fields the spec does not know (tests); loose keeps them in ``extra``."""
    shared_limits: bool = attrs.field(default=True, converter=_flag)
    """Share the rate budget with the other processes of this machine using the app key."""
    limits_dir: Path | None = attrs.field(default=None, converter=_optional_path)
    """Folder of the machine-wide rate budget files; ``None`` means ``token_cache_dir``."""
    limits_url: Secret | None = attrs.field(default=None, converter=_optional_secret)
    """``redis://[:password@]host:port/db``: rate budget and token shared by every machine."""
    master_url: str | None = None
    """Where KIS's master files (symbols) are downloaded from; ``None``: ``KIS_MASTER_URL`` or
    KIS's own host. A sandbox serves them too (``kisapi_sandbox``: ``<rest_url>/common/master/``)."""
    limits_fallback: LimitsFallback = "fail"
    """What to do while ``limits_url`` is unreachable: ``fail`` (raise) or ``local`` (a
    quarter of the rate on this machine's budget, with a warning)."""

    def __attrs_post_init__(self) -> None:
        if not self.appkey or not self.appsecret:
            raise KisConfigError("appkey and appsecret are required (KIS_APPKEY, KIS_APPSECRET)")
        self._check_text()
        REDACTOR.add(self.appkey.reveal(), self.appsecret.reveal())
        if self.account is not None:
            REDACTOR.add(self.account.cano)
        if self.hts_id is not None:
            REDACTOR.add(self.hts_id.reveal())
        self._check_limits()
        guard_library_loggers()

    def _check_limits(self) -> None:
        if self.limits_fallback not in ("fail", "local"):
            raise KisConfigError(
                f"limits_fallback must be 'fail' or 'local', not {self.limits_fallback!r}"
            )
        if self.limits_url is None:
            return
        url = self.limits_url.reveal()
        parts = urllib.parse.urlsplit(url)
        # The URL may carry a password: it is never echoed, only its scheme://host:port/db.
        if parts.password:
            REDACTOR.add(parts.password, urllib.parse.unquote(parts.password))
        REDACTOR.add(url)
        if parts.scheme not in _LIMITS_SCHEMES or not (parts.hostname or parts.path):
            raise KisConfigError(
                "limits_url must look like redis://[:password@]host:port/db (or rediss://, "
                f"unix://), not {parts.scheme or 'no scheme'}://..."
            )

    def _check_text(self) -> None:
        """Values that travel in HTTP headers or URLs: printable ASCII only (no CR/LF, NUL or
        other control characters), so a bad value fails here and never half-way through a
        request. Values are never echoed: some are secrets."""
        texts = {
            "appkey": self.appkey.reveal(),
            "appsecret": self.appsecret.reveal(),
            "hts_id": self.hts_id.reveal() if self.hts_id else "",
            "custtype": self.custtype,
            "rest_url": self.rest_url or "",
            "ws_url": self.ws_url or "",
        }
        for name, value in texts.items():
            if not isinstance(value, str) or not _PRINTABLE_ASCII.fullmatch(value):
                raise KisConfigError(
                    f"{name}: only printable ASCII is allowed (no spaces, CR/LF, NUL or other "
                    "control characters)"
                )
        if self.custtype not in ("P", "B"):
            raise KisConfigError("custtype must be 'P' (individual) or 'B' (corporate)")
        for name, folder in (
            ("token_cache_dir", self.token_cache_dir),
            ("limits_dir", self.limits_dir),
        ):
            if folder is not None and any(ch in str(folder) for ch in "\r\n\x00"):
                raise KisConfigError(f"{name}: CR, LF and NUL are not allowed")

    @property
    def base_url(self) -> str:
        return (self.rest_url or REST_URLS[self.env]).rstrip("/")

    @property
    def websocket_url(self) -> str:
        return (self.ws_url or WS_URLS[self.env]).rstrip("/")

    @property
    def calls_per_second(self) -> float:
        return DEFAULT_RATE[self.env] if self.rate_limit is None else self.rate_limit

    @property
    def is_mock(self) -> bool:
        return self.env == "mock"

    @property
    def app_id(self) -> str:
        """Names this (environment, app key, host) in file names and store keys: a hash, never
        the key itself. A host other than KIS's own (a sandbox, a proxy) gets its own."""
        digest = hashlib.sha256(self.appkey.reveal().encode()).hexdigest()[:32]
        name = f"{self.env}-{digest}"
        if self.base_url != REST_URLS[self.env]:
            name += "-" + hashlib.sha256(self.base_url.encode()).hexdigest()[:8]
        return name

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> KisConfig:
        """Read ``KIS_APPKEY``, ``KIS_APPSECRET``, ``KIS_ACCOUNT``, ``KIS_ENV``, ``KIS_HTS_ID``,
        ``KIS_REST_URL``, ``KIS_WS_URL``, ``KIS_TOKEN_CACHE_DIR``, ``KIS_SHARED_LIMITS``,
        ``KIS_LIMITS_DIR``, ``KIS_LIMITS_URL``, ``KIS_LIMITS_FALLBACK``, ``KIS_MASTER_URL``; ``KIS_CONFIG`` names a TOML
        file whose values the environment overrides. Keyword arguments override both."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("KIS_CONFIG"):
            values.update(_read_toml(Path(env["KIS_CONFIG"]), env.get("KIS_ENV")))
        names = {
            "KIS_APPKEY": "appkey",
            "KIS_APPSECRET": "appsecret",
            "KIS_ACCOUNT": "account",
            "KIS_ENV": "env",
            "KIS_HTS_ID": "hts_id",
            "KIS_REST_URL": "rest_url",
            "KIS_WS_URL": "ws_url",
            "KIS_TOKEN_CACHE_DIR": "token_cache_dir",
            "KIS_SHARED_LIMITS": "shared_limits",
            "KIS_LIMITS_DIR": "limits_dir",
            "KIS_LIMITS_URL": "limits_url",
            "KIS_LIMITS_FALLBACK": "limits_fallback",
            "KIS_MASTER_URL": "master_url",
        }
        for var, key in names.items():
            if env.get(var):
                values[key] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [v for v, k in names.items() if k in ("appkey", "appsecret") and k not in values]
        if missing:
            raise KisConfigError(f"missing configuration: {', '.join(missing)}")
        return cls(**values)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], env: str | None = None, **overrides: Any
    ) -> KisConfig:
        """Read a TOML file: top-level keys, optionally with ``[real]``/``[mock]`` tables."""
        values = _read_toml(Path(path), env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


_FILE_KEYS = frozenset(
    {
        "appkey", "appsecret", "env", "account", "hts_id", "rest_url", "ws_url", "custtype",
        "timeout", "rate_limit", "max_retries", "use_hashkey", "cache_ttl", "token_cache_dir",
        "shared_limits", "limits_dir", "limits_url", "limits_fallback",
    }
)  # fmt: skip


def _read_toml(path: Path, env: str | None) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KisConfigError(f"cannot read config file {path}: {type(exc).__name__}") from None
    chosen = env or data.get("env") or "mock"  # no env anywhere: the mock table, if any
    values = {k: v for k, v in data.items() if k in _FILE_KEYS}
    section = data.get(chosen)
    if isinstance(section, dict):
        values.update({k: v for k, v in section.items() if k in _FILE_KEYS})
        values["env"] = chosen
    unknown = sorted(k for k in data if k not in _FILE_KEYS and k not in ("real", "mock"))
    if unknown:
        raise KisConfigError(f"{path}: unknown keys {unknown}")
    return values
