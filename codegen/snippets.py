"""``python -m codegen snippets``: the README's Python blocks and ``examples/*.py`` under mypy --strict.

Each fenced ``python`` block of the README (and of ``docs/guide/*.md``) is written to its own
file; a block using ``await``/``async with`` at top level is wrapped in an ``async def``, as it
would run in a notebook or an asyncio program. Blocks may use the names the documentation
assumes (``kis``, ``akis``, the date types), declared with their real types in a one-line
prelude, so what they do with them is checked. Then mypy --strict (the project's settings) checks
those files and the examples together, so what the documentation shows type-checks as written.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = (REPO / "README.md", *sorted((REPO / "docs" / "guide").glob("*.md")))
EXAMPLES = REPO / "examples"
PRELUDE = (
    "from datetime import date, datetime, time, timedelta; from kisapi import AsyncKis, Kis; "
    "kis: Kis; akis: AsyncKis  # noqa\n"
)
"""Names a documented block may use without defining them (one line: line numbers stay close)."""
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number, code) of every fenced ``python`` block of a Markdown text."""
    for match in _FENCE.finditer(text):
        yield text.count("\n", 0, match.start()) + 2, match.group(1)


def as_module(code: str) -> str:
    """``code`` as a module mypy can check: top-level ``await`` goes inside an ``async def``."""
    try:
        compile(code, "<snippet>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        compile(code, "<snippet>", "exec", dont_inherit=True)  # await outside a function
        return code
    except SyntaxError:
        body = textwrap.indent(code, "    ")
        return f"async def _snippet() -> None:  # top-level await in the docs\n{body}"


def extract(out: Path) -> list[Path]:
    """Write every documented Python block under ``out``; returns the files written."""
    written: list[Path] = []
    for doc in DOCS:
        if not doc.exists():
            continue
        stem = re.sub(r"\W", "_", doc.relative_to(REPO).with_suffix("").as_posix()).lower()
        for line, code in blocks(doc.read_text(encoding="utf-8")):
            path = out / f"{stem}_line{line}.py"
            header = f"# {doc.relative_to(REPO)}, line {line}\n{PRELUDE}"
            path.write_text(header + as_module(code), encoding="utf-8")
            written.append(path)
    return written


def check() -> int:
    """mypy --strict over the documented snippets and ``examples/*.py``; 0 when all pass."""
    examples = sorted(EXAMPLES.glob("*.py"))
    with tempfile.TemporaryDirectory(prefix="kisapi-snippets-") as tmp:
        files = extract(Path(tmp))
        cmd = [
            sys.executable, "-m", "mypy", "--strict", "--config-file", str(REPO / "pyproject.toml"),
            "--no-incremental", *map(str, files), *map(str, examples),
        ]  # fmt: skip
        env = {**os.environ, "MYPYPATH": str(EXAMPLES)}  # the examples import their _sandbox helper
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO, env=env)
        output = result.stdout.replace(tmp + "/", "snippet:")
    if result.returncode != 0:
        print(output, result.stderr, sep="", end="", file=sys.stderr)
        return 1
    print(
        f"snippets: {len(files)} documented blocks and {len(examples)} examples pass mypy --strict"
    )
    return 0
