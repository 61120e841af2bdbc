"""Session-wide guard: every log record any logger emits during the test run, at DEBUG, is
checked for the secrets the SDK knows (app keys and secrets, tokens, approval keys, account
numbers, HTS IDs). One leak fails the run."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from kisapi_runtime.secret import REDACTOR
from tests.redis_server import STATUS as REDIS_STATUS
from tests.redis_server import redis_server, redis_url  # noqa: F401  (shared fixtures)


class SecretWatch(logging.Handler):
    """Counts records and keeps (logger, redacted text) of those still holding a secret."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records = 0
        self.leaks: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        if REDACTOR in logging.getLogger(record.name).filters:
            return  # its logger's filter already masked every registered secret
        try:
            text = record.getMessage()
        except Exception:  # a record whose arguments do not format is not a leak
            return
        redacted = REDACTOR.redact(text)
        if redacted != text:
            self.leaks.append((record.name, redacted[:300]))


WATCH = SecretWatch()


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log_record() -> Iterator[SecretWatch]:
    watch = WATCH
    root = logging.getLogger()
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(level)
    # (tests/runtime/test_log_watch.py proves the watch sees records and catches a leak;
    # a focused run may log nothing at all)
    assert watch.leaks == [], f"{len(watch.leaks)} log records held a secret: {watch.leaks[:10]}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"log records checked for secrets at DEBUG: {WATCH.records}, leaks: {len(WATCH.leaks)}"
    )
    for line in dict.fromkeys(REDIS_STATUS):
        terminalreporter.write_line(line)
