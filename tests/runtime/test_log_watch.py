"""The session-wide log watch (tests/conftest.py) does catch a secret in any logger's record."""

from __future__ import annotations

import logging

from kisapi_runtime.secret import REDACTOR

from ..conftest import SecretWatch


def test_the_session_watch_catches_a_leak(no_secret_in_any_log_record: SecretWatch) -> None:
    watch = no_secret_in_any_log_record
    canary = "leak-canary-0123456789abcdef"
    REDACTOR.add(canary)
    before = len(watch.leaks)
    logging.getLogger("unguarded.third.party").debug("value=%s", canary)
    caught = watch.leaks[before:]
    del watch.leaks[before:]  # planted on purpose: not a leak of the run
    assert caught == [("unguarded.third.party", "value=***")]
