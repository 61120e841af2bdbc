"""English labels of the shared field vocabulary: which fields still lack one."""

from __future__ import annotations

from pathlib import Path

from .load import load_shared


def missing_english(spec_dir: Path) -> tuple[int, list[str]]:
    """(number of shared fields, names of those without an ``en:`` label), sorted."""
    fields = load_shared(spec_dir, "fields", "/$defs/Fields")
    missing = sorted(name for name, entry in fields.items() if not entry.get("en"))
    return len(fields), missing


def report(spec_dir: Path, *, verbose: bool) -> list[str]:
    total, missing = missing_english(spec_dir)
    lines = [f"english labels: {total - len(missing)} of {total} shared fields have one"]
    if missing:
        lines.append(
            f"  lacking an English label: {len(missing)}" + ("" if verbose else " (-v lists them)")
        )
        if verbose:
            lines += [f"    {name}" for name in missing]
    return lines
