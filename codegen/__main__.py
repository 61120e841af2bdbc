"""``python -m codegen generate|check|spec-model|golden``."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .load import SpecError
from .render import REPO, generate, ruff

SPEC_DIR = REPO / "spec"
OUT_DIR = REPO / "generated"
SPEC_MODEL = REPO / "codegen" / "spec_model.py"
SNAPSHOT = SPEC_DIR / "_upstream"
GOLDEN_SPEC = REPO / "tests" / "codegen" / "fixtures" / "spec"
GOLDEN_OUT = REPO / "tests" / "codegen" / "golden"


def spec_model_source() -> str:
    """The typed spec model, generated from the JSON Schema by datamodel-code-generator."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "spec_model.py"
        cmd = [
            sys.executable, "-m", "datamodel_code_generator",
            "--input", str(SPEC_DIR / "schema" / "api.schema.json"),
            "--input-file-type", "jsonschema",
            "--output-model-type", "typing.TypedDict",
            "--target-python-version", "3.11",
            "--use-standard-collections", "--use-union-operator",
            "--disable-timestamp", "--formatters", "ruff-format",
            "--custom-file-header", '"""Typed view of spec/schema/api.schema.json (datamodel-code-generator). Do not edit."""',
            "--output", str(out),
        ]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
        ruff("check", "--quiet", "--fix-only", "--exit-zero", str(out))
        ruff("format", "--quiet", str(out))
        return out.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="regenerate codegen/spec_model.py and generated/kisapi")
    sub.add_parser("check", help="fail when generated/ or the spec model is stale")
    sub.add_parser("golden", help="rewrite the generator's golden test output")
    cov = sub.add_parser(
        "coverage", help="compare spec/ with the upstream snapshot; fails on undeclared differences"
    )
    cov.add_argument("-v", "--verbose", action="store_true")
    cov.add_argument("--snapshot", type=Path, help="snapshot folder (default: spec/_upstream)")
    dr = sub.add_parser("draft", help="draft a spec from an upstream snapshot entry")
    dr.add_argument("key", help="upstream key, e.g. domestic_stock/inquire_price")
    dr.add_argument("--snapshot", type=Path, help="snapshot folder (default: spec/_upstream)")
    dr.add_argument("--write", action="store_true", help="write it under spec/ (never overwrites)")
    up = sub.add_parser(
        "upstream", help="snapshot KIS's example code (and portal docs) into spec/_upstream"
    )
    up.add_argument(
        "--from", dest="source", type=Path, required=True, help="open-trading-api checkout"
    )
    up.add_argument("--commit", help="upstream commit (default: git rev-parse HEAD in --from)")
    up.add_argument("--portal", type=Path, help="a portal docs capture (kis_portal_docs.json)")
    up.add_argument("--out", type=Path, help="snapshot folder (default: spec/_upstream)")
    oa = sub.add_parser(
        "openapi", help="export OpenAPI 3.1 + AsyncAPI 3.0 into openapi/ (validated)"
    )
    oa.add_argument("--check", action="store_true", help="fail when openapi/ is stale")
    sub.add_parser("docs", help="build the reference site into build/site (strict)")
    sub.add_parser("snippets", help="mypy --strict on the README's Python blocks and examples/")
    val = sub.add_parser("validate", help="check some spec files (and optionally render them)")
    val.add_argument("paths", nargs="+", type=Path, help="spec files or folders")
    val.add_argument("--render", type=Path, help="also render them into DIR/kisapi")
    args = parser.parse_args(argv)

    from .resolve import load_project

    started = time.perf_counter()
    if args.command == "snippets":
        from .snippets import check as check_snippets

        return check_snippets()
    if args.command == "upstream":
        from . import upstream

        files = upstream.build(args.source, upstream._commit(args.source, args.commit), args.portal)
        changed = upstream.write(files, args.out or upstream.SNAPSHOT_DIR)
        counts = files[upstream.META]["counts"]
        print(f"upstream {files[upstream.META]['commit']}: {counts}; {len(changed)} files changed")
        return 0
    try:
        if args.command == "coverage":
            from .coverage import compare
            from .labels import report

            result = compare(load_project(SPEC_DIR), args.snapshot or SNAPSHOT)
            print("\n".join(result.lines(verbose=args.verbose)))
            print("\n".join(report(SPEC_DIR, verbose=args.verbose)))
            return 0 if result.ok else 1
        if args.command == "docs":
            from .docs import SITE, build

            problems = build(load_project(SPEC_DIR))
            if problems:
                print("\n".join(problems), file=sys.stderr)
                return 1
            print(f"docs: built {SITE} (every API and realtime TR has a page)")
            return 0
        if args.command == "openapi":
            from .openapi import write as write_openapi

            stale = write_openapi(load_project(SPEC_DIR), check=args.check)
            if args.check and stale:
                print("openapi/ is stale (run `make openapi`):", *stale, file=sys.stderr)
                return 1
            print(f"openapi/: valid; {'unchanged' if not stale else 'wrote ' + ', '.join(stale)}")
            return 0
        if args.command == "draft":
            from .draft import draft

            rel, text = draft(args.key, SPEC_DIR, args.snapshot)
            if not args.write:
                print(text, end="")
                return 0
            target = SPEC_DIR / rel
            if target.exists():
                print(f"{target} exists; not overwritten", file=sys.stderr)
                return 1
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
            return 0
        if args.command == "validate":
            project = load_project(SPEC_DIR, only=args.paths)
            if args.render:
                generate(project, args.render, stamp=False)
            print(f"{len(project.apis)} REST and {len(project.realtime)} realtime specs valid")
            return 0
        if args.command == "golden":
            changes = generate(load_project(GOLDEN_SPEC), GOLDEN_OUT, write=True, stamp=False)
            print("\n".join(changes) or "golden output unchanged")
            return 0
        write = args.command == "generate"
        model = spec_model_source()
        changes = []
        if SPEC_MODEL.read_text(encoding="utf-8") != model:
            changes.append("~ codegen/spec_model.py")
            if write:
                SPEC_MODEL.write_text(model, encoding="utf-8", newline="\n")
        project = load_project(SPEC_DIR)
        changes += generate(project, OUT_DIR, write=write)
    except SpecError as exc:
        print(f"spec error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    if args.command == "check":
        if changes:
            print(
                "generated code is stale (run `make generate`):",
                *changes,
                sep="\n  ",
                file=sys.stderr,
            )
            return 1
        print(f"generated/ is fresh ({len(project.apis)} APIs, {elapsed:.2f}s)")
        return 0
    print(f"generated {len(project.apis)} APIs in {elapsed:.2f}s; {len(changes)} files changed")
    for line in changes:
        print(" ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
