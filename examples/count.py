"""Line counts of the scenario scripts, as ``examples/README.md`` states them.

``python -m examples.count`` prints the table's figures: for each scenario, the non-blank,
non-comment, non-docstring lines of its script (imports and client construction included; the
``_sandbox`` import and the ``if __name__ == "__main__":`` block that starts the local sandbox
left out) and of the python-kis equivalent shown in the README. ``tests/exports`` checks that
the README's table says the same.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
ROW = re.compile(r"^\| (\d+) \| [^|]+ \| \[(\w+)\.py\]\(\w+\.py\) \| (\d+) \| ([^|]+) \|$", re.M)
PYKIS = re.compile(r"<summary>python-kis: (\w+)</summary>\n\n```python\n(.*?)^```", re.M | re.S)


def code_lines(source: str, *, runner: bool = False) -> int:
    """Non-blank lines holding code: comments and docstrings left out, and with ``runner`` the
    ``_sandbox`` import and the ``if __name__ == "__main__":`` block."""
    skipped: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                skipped.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
        if runner and isinstance(node, ast.stmt) and _is_runner(node):
            skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    counted: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                          tokenize.DEDENT, tokenize.ENDMARKER):  # fmt: skip
            continue
        counted.update(range(token.start[0], token.end[0] + 1))
    return len(counted - skipped)


def _is_runner(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "_sandbox"
    return isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"


def kisapi_count(script: str) -> int:
    return code_lines((HERE / f"{script}.py").read_text(encoding="utf-8"), runner=True)


def pykis_counts(readme: str) -> dict[str, int]:
    """python-kis line counts by script name, from the README's collapsed code blocks."""
    return {name: code_lines(code) for name, code in PYKIS.findall(readme)}


def table(readme: str) -> list[tuple[int, str, int, str]]:
    """(scenario, script, kisapi lines, python-kis cell) of every row of the README's table."""
    return [(int(n), script, int(k), p.strip()) for n, script, k, p in ROW.findall(readme)]


def main() -> None:
    readme = README.read_text(encoding="utf-8")
    pykis = pykis_counts(readme)
    for number, script, _, _ in table(readme):
        theirs = pykis.get(script)
        print(f"{number:>2} {script:<20} kisapi {kisapi_count(script):>3}  python-kis "
              f"{theirs if theirs is not None else 'cannot'}")  # fmt: skip


if __name__ == "__main__":
    main()
