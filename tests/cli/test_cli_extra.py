"""The command line's dependencies are the ``cli`` extra: the SDK imports without them, and
the ``kisapi`` command says how to install them instead of a traceback."""

from __future__ import annotations

import subprocess
import sys

HIDE = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("click", "rich", "typer", "pygments"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _Hide())
"""


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE + code], capture_output=True, text=True, timeout=120
    )


def test_the_sdk_imports_without_the_cli_extra() -> None:
    done = run("import kisapi; kisapi.Kis; from kisapi import realtime; realtime.registry()")
    assert done.returncode == 0, done.stderr


def test_the_command_without_its_extra_names_the_extra() -> None:
    for code in ("from kisapi_cli import main; sys.exit(main(['--help']))",
                 "import runpy; runpy.run_module('kisapi', run_name='__main__')"):  # fmt: skip
        done = run(code)
        assert done.returncode == 2, done.stderr
        assert "pip install 'kisapi[cli]'" in done.stderr and "Traceback" not in done.stderr


def test_the_command_with_its_extra_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from kisapi_cli import main; sys.exit(main(['--help']))"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and "sandbox" in done.stdout, done.stderr
