"""``kisapi``: the command line, built from the API registry (``kisapi --help``).

Its dependencies (typer, rich, click) come with the ``cli`` extra: ``pip install 'kisapi[cli]'``.
"""

from __future__ import annotations

import sys
from typing import Any

CLI_DEPENDENCIES = frozenset({"typer", "rich", "click"})


def main(argv: list[str] | None = None) -> Any:
    """The ``kisapi`` console script: the command line, or how to install it."""
    try:
        from .app import main as run
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in CLI_DEPENDENCIES:
            raise
        sys.stderr.write(
            f"kisapi: the command line needs {exc.name}, which comes with its extra: "
            "pip install 'kisapi[cli]'\n"
        )
        return 2
    return run(argv)
