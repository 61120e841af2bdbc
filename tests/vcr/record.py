"""``make record``: (re)record the cassette of every REST API through the SDK.

Against KIS itself when ``KIS_APPKEY`` is set (with ``KIS_APPSECRET``, ``KIS_ACCOUNT``,
``KIS_ENV=mock|real``, optional ``KIS_HTS_ID`` and ``KIS_REST_URL``); otherwise against the
project's sandbox over local HTTP, where calls without a mock TR ID use a real-env client.

    python -m tests.vcr.record [--sandbox] [--env mock|real] [--real-orders] [API|PRODUCT|GLOB ...]

A cassette is replaced only when every call of its API was recorded and succeeded; the others
stay as they were. Order APIs are not sent to KIS's real server without ``--real-orders``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from datetime import date
from fnmatch import fnmatch
from importlib import import_module
from pathlib import Path

import httpx

from kisapi import Kis, KisError
from kisapi_runtime.auth import TokenManager
from kisapi_runtime.config import REST_URLS

from ..endpoints import spec_model as sm
from . import recording as rec

# The sandbox answers from the calendar: a fixed day keeps re-recorded cassettes stable.
SANDBOX_DAY = date(2026, 1, 5)


@contextlib.contextmanager
def _sandbox_urls() -> Iterator[dict[str, str]]:
    """The sandbox's HTTP server (no rate limits, a fixed calendar): env -> base URL."""
    from kisapi_sandbox.server import serve

    with serve(today=SANDBOX_DAY, rate_limits={"real": None, "mock": None}) as server:
        yield {"mock": server.mock_url, "real": server.rest_url}


# --- recording ---------------------------------------------------------------------------


class Recorder:
    """Clients per env plus the vcrpy configuration; records one API at a time."""

    def __init__(
        self,
        identity: rec.Identity,
        urls: Mapping[str, str | None],
        preferred: str,
        token_dir: Path,
        *,
        sandbox: bool,
        real_orders: bool = False,
    ) -> None:
        self.preferred = preferred
        self.sandbox = sandbox
        # Orders on KIS's real server spend real money: only when asked for by name.
        self.orders = sandbox or preferred == "mock" or real_orders
        self.vcr = rec.make_vcr(identity, record_mode="all")
        self.clients = {
            env: Kis(
                appkey=identity.appkey,
                appsecret=identity.appsecret,
                account=identity.account,
                hts_id=identity.hts_id,
                env=env,
                rest_url=url,
                token_cache_dir=token_dir,
                rate_limit=0 if sandbox else None,
                use_hashkey=True,
            )
            for env, url in urls.items()
        }
        self.http = httpx.Client(timeout=30)

    def close(self) -> None:
        self.http.close()
        for client in self.clients.values():
            client.close()

    def prime_tokens(self) -> None:
        """Issue (or reuse) each env's token outside any cassette; clients share the cache."""
        for client in self.clients.values():
            TokenManager(client.config).get(self.http)

    def record(self, api_id: str) -> tuple[int, list[str]]:
        """(calls recorded, problems); the cassette is replaced only when there is no problem."""
        path = rec.cassette_path(api_id)
        partial = path.with_name(path.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        calls = rec.calls(api_id)
        envs = [call.recording_env(self.preferred, any_env=self.sandbox) for call in calls]
        # A cassette holds every call of its API or stays as it was.
        plan = [(call, env) for call, env in zip(calls, envs, strict=True) if env in self.clients]
        if len(plan) < len(calls) or (sm.load(api_id).kind == "order" and not self.orders):
            return 0, []
        problems: list[str] = []
        with self.vcr.use_cassette(str(partial)):
            for call, env in plan:
                problems += self._call(api_id, call, env)
        if problems:
            partial.unlink(missing_ok=True)
            return 0, problems
        if not partial.exists():  # no traffic: a token already in KIS_TOKEN_CACHE_DIR
            return 0, []
        os.replace(partial, path)
        return len(plan), []

    def _call(self, api_id: str, call: rec.Call, env: str) -> list[str]:
        client = self.clients[env]
        if api_id == "auth.auth_token":
            # Through the SDK's token manager, which the other cassettes then rely on (one
            # issue per run: KIS allows one a minute). Replay calls the generated endpoint.
            TokenManager(client.config).get(self.http)
            return []
        try:
            result = rec.endpoint(client, api_id).raw(**call.kwargs)
        except KisError as exc:
            return [f"{call.label} ({env}): {type(exc).__name__}: {exc}"]
        try:  # the loose decode above keeps unknown fields; strict shows spec drift early
            import_module(sm.manifest()[api_id]["module"]).API.decode(result.body, True)
        except KisError as exc:
            print(f"  warning: {call.label}: strict decode fails: {exc}", file=sys.stderr)
        return []


def _kis_target(env: str) -> tuple[rec.Identity, dict[str, str | None]]:
    missing = [v for v in ("KIS_APPKEY", "KIS_APPSECRET") if not os.environ.get(v)]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}")
    identity = rec.Identity(
        appkey=os.environ["KIS_APPKEY"],
        appsecret=os.environ["KIS_APPSECRET"],
        account=os.environ.get("KIS_ACCOUNT"),
        hts_id=os.environ.get("KIS_HTS_ID"),
    )
    return identity, {env: os.environ.get("KIS_REST_URL") or None}


def _selected(patterns: list[str]) -> list[str]:
    ids = rec.api_ids()
    if not patterns:
        return ids
    chosen = [i for i in ids if any(fnmatch(i, p) or i.startswith(p + ".") for p in patterns)]
    if not chosen:
        raise SystemExit(f"no API matches {patterns}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("apis", nargs="*", help="API ids, products or globs (default: all)")
    parser.add_argument("--sandbox", action="store_true", help="record against the sandbox")
    parser.add_argument("--env", choices=rec.ENVS, default=os.environ.get("KIS_ENV") or "mock")
    parser.add_argument(
        "--real-orders",
        action="store_true",
        help="also send the order APIs to KIS's real server (real money); skipped otherwise",
    )
    args = parser.parse_args(argv)
    selected = _selected(args.apis)
    sandbox = args.sandbox or not os.environ.get("KIS_APPKEY")
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if sandbox:
            identity: rec.Identity = rec.SANDBOX_IDENTITY
            urls: dict[str, str | None] = dict(stack.enter_context(_sandbox_urls()))
            target = "the sandbox"
        else:
            identity, urls = _kis_target(args.env)
            target = f"KIS ({args.env}) at {urls[args.env] or REST_URLS[args.env]}"
        # Against KIS, KIS_TOKEN_CACHE_DIR reuses a cached token (each issue notifies the
        # account holder); otherwise one token is issued per run and env.
        cached = None if sandbox else os.environ.get("KIS_TOKEN_CACHE_DIR")
        token_dir = Path(
            cached or stack.enter_context(tempfile.TemporaryDirectory(prefix="kisapi-vcr-"))
        )
        recorder = Recorder(
            identity, urls, args.env, token_dir, sandbox=sandbox, real_orders=args.real_orders
        )
        stack.callback(recorder.close)
        print(f"recording {len(selected)} APIs against {target}")
        failures: dict[str, list[str]] = {}
        skipped: list[str] = []
        recorded = calls = 0
        if "auth.auth_token" in selected:
            selected.remove("auth.auth_token")
            selected.insert(0, "auth.auth_token")
        primed = False
        for api_id in selected:
            if api_id != "auth.auth_token" and not primed:
                recorder.prime_tokens()
                primed = True
            count, problems = recorder.record(api_id)
            if problems:
                failures[api_id] = problems
            elif count:
                recorded += 1
                calls += count
            else:
                skipped.append(api_id)
    for api_id, problems in failures.items():
        print(f"FAILED {api_id}:")
        for problem in problems:
            print(f"  {problem}")
    if skipped:
        print(f"kept {len(skipped)} as they were (no TR ID in {args.env}, a real order, or a"
              f" cached token): {', '.join(skipped)}")  # fmt: skip
    print(
        f"recorded {recorded} cassettes ({calls} calls), {len(failures)} failed, "
        f"{len(skipped)} kept in {time.perf_counter() - started:.1f} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
