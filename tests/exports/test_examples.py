"""``examples/*.py`` run against the in-process sandbox; ``codegen.snippets`` finds the docs' code."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from codegen import snippets

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name: str, capsys: pytest.CaptureFixture[str]) -> str:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


def test_quote_example(capsys: pytest.CaptureFixture[str]) -> None:
    out = run("quote.py", capsys)
    assert out.startswith("005930 ") and " won (" in out and "volume" in out


def test_realtime_example_gets_ticks_and_the_mock_notice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run("realtime_ticks.py", capsys).splitlines()
    assert [line.split("]")[0] for line in out[:3]] == ["[H0STCNT0 005930"] * 3
    assert out[3].startswith("[H0STCNI0] order ")  # subscribed as H0STCNI9 by the mock client


def test_snippets_are_extracted_and_top_level_await_is_wrapped(tmp_path: Path) -> None:
    text = "intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python\nawait f()\n```\n"
    found = list(snippets.blocks(text))
    assert found == [(3, "x = 1\n"), (10, "await f()\n")]
    assert snippets.as_module("x = 1\n") == "x = 1\n"
    wrapped = snippets.as_module("async with a() as b:\n    pass\n")
    assert wrapped.startswith("async def _snippet() -> None:") and "\n    async with a()" in wrapped
    files = snippets.extract(tmp_path)
    assert any(f.name.startswith("readme_") for f in files)
    readme = next(f for f in files if f.name.startswith("readme_"))
    assert "inquire_price" in readme.read_text()
