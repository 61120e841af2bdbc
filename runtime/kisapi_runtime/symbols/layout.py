"""Master-file layouts (from ``spec/masters``, shipped as ``kisapi/_data/masters.json``) and the
fixed-width / delimited record codec that reads and writes them."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

import attrs

EXTRA = "extra"
"""Key of the text after the last known field of a delimited record (fields KIS added)."""


@attrs.frozen
class FieldSpec:
    """One field of a record: wire name, value type, Korean label, width (fixed format)."""

    name: str
    type: str
    label: str
    width: int | None = None


@attrs.frozen
class MasterFile:
    """One downloadable file of a master: ``kospi_code.mst.zip`` holding ``kospi_code.mst``."""

    market: str
    file: str
    member: str
    label: str = ""
    order: str | None = None
    """Order-API exchange code (overseas files: ``NASD`` for ``NAS``)."""


@attrs.frozen
class MasterLayout:
    """How the records of one master read: fixed (variable head + fixed tail) or delimited."""

    id: str
    title: str
    kind: str
    encoding: str
    format: str
    files: tuple[MasterFile, ...]
    keys: Mapping[str, str | None]
    head: tuple[FieldSpec, ...] = ()
    tail: tuple[FieldSpec, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    separator: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    """Other keys of the spec (``futures`` of the index derivatives master)."""

    @property
    def tail_width(self) -> int:
        return sum(f.width or 0 for f in self.tail)

    @property
    def all_fields(self) -> tuple[FieldSpec, ...]:
        return (*self.head, *self.tail) if self.format == "fixed" else self.fields

    def split(self, line: bytes) -> dict[str, str]:
        """Every field of one record as text (stripped), by wire name."""
        enc = self.encoding
        if self.format == "delimited":
            parts = line.decode(enc, "replace").split(self.separator)
            known = len(self.fields)
            out = {
                f.name: (parts[i].strip() if i < len(parts) else "")
                for i, f in enumerate(self.fields)
            }
            if any(p.strip() for p in parts[known:]):
                out[EXTRA] = self.separator.join(parts[known:])  # fields KIS added
            return out
        out = {}
        width = self.tail_width
        head, tail = (line[:-width], line[-width:]) if width else (line, b"")
        pos = 0
        for i, f in enumerate(self.head):
            end = len(head) if i == len(self.head) - 1 else pos + (f.width or 0)
            out[f.name] = head[pos:end].decode(enc, "replace").strip()
            pos = end
        pos = 0
        for f in self.tail:
            end = pos + (f.width or 0)
            out[f.name] = tail[pos:end].decode(enc, "replace").strip()
            pos = end
        return out

    def slicer(self, name: str) -> Callable[[bytes], str]:
        """A function reading the one field ``name`` from a record (cheaper than :meth:`split`)."""
        enc = self.encoding
        if self.format == "delimited":
            index = [f.name for f in self.fields].index(name)
            sep = self.separator.encode(enc)

            def delimited(line: bytes) -> str:
                parts = line.split(sep)
                return parts[index].decode(enc, "replace").strip() if index < len(parts) else ""

            return delimited
        width = self.tail_width
        start, end = 0, 0
        if any(f.name == name for f in self.head):
            for i, f in enumerate(self.head):
                end = start + f.width if f.width is not None and i < len(self.head) - 1 else -width
                if f.name == name:
                    break
                start = end
            lo, hi = start, (end if end else None)
        else:
            offset = -width
            for f in self.tail:
                if f.name == name:
                    break
                offset += f.width or 0
            lo, hi = offset, (offset + (self.get(name).width or 0)) or None

        def fixed(line: bytes) -> str:
            return line[lo:hi].decode(enc, "replace").strip()

        return fixed

    def get(self, name: str) -> FieldSpec:
        return next(f for f in self.all_fields if f.name == name)

    def encode(self, values: Mapping[str, object]) -> bytes:
        """One record from ``values`` (missing fields blank): the inverse of :meth:`split`.

        Text is left-aligned and padded with spaces; for tests and the sandbox, which build
        master files in KIS's layouts.
        """
        enc = self.encoding
        if self.format == "delimited":
            return self.separator.join(_text(values.get(f.name)) for f in self.fields).encode(enc)
        parts: list[bytes] = []
        for f in (*self.head, *self.tail):
            raw = _text(values.get(f.name)).encode(enc)
            if f.width is None:  # the variable part of the head
                parts.append(raw)
                continue
            if len(raw) > f.width:
                raise ValueError(f"master {self.id}: {f.name}: {raw!r} is wider than {f.width}")
            parts.append(raw.ljust(f.width, b" "))
        return b"".join(parts)

    def zip(self, member: str, records: Iterable[Mapping[str, object]]) -> bytes:
        """A zip holding ``member`` with one encoded record a line, as KIS publishes them."""
        text = b"".join(self.encode(r) + b"\n" for r in records)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(member, text)
        return buffer.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


def convert(kind: str, text: str) -> Any:
    """A field's text as its layout type; ``None`` when blank; the text itself when it does not
    parse (nothing is lost)."""
    if not text:
        return None
    try:
        if kind == "int":
            return int(text.replace(",", ""))
        if kind == "decimal":
            return Decimal(text.replace(",", ""))
        if kind == "bool":
            return {"Y": True, "N": False}.get(text, text)
        if kind == "date":
            return (
                None
                if text.strip("0") == ""
                else date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            )
    except (ValueError, InvalidOperation):
        return text
    return text


def records(data: bytes) -> Iterator[bytes]:
    """The non-blank lines of a master file (CR, LF and CRLF endings)."""
    for line in data.split(b"\n"):
        line = line.rstrip(b"\r")
        if line.strip():
            yield line


def read_zip(data: bytes, member: str) -> bytes:
    """``member`` of a downloaded zip (the only file when the name differs)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        name = member if member in names else (names[0] if len(names) == 1 else member)
        return archive.read(name)


def _fields(items: Iterable[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f["name"], f["type"], f["label"], f.get("width")) for f in items)


def layout_from_dict(d: Mapping[str, Any]) -> MasterLayout:
    known = {"id", "title", "kind", "encoding", "format", "files", "keys", "head", "tail",
             "fields", "separator", "tail_width"}  # fmt: skip
    return MasterLayout(
        id=d["id"],
        title=d["title"],
        kind=d["kind"],
        encoding=d["encoding"],
        format=d["format"],
        files=tuple(
            MasterFile(f["market"], f["file"], f["member"], f.get("label", ""), f.get("order"))
            for f in d["files"]
        ),
        keys=dict(d["keys"]),
        head=_fields(d.get("head", ())),
        tail=_fields(d.get("tail", ())),
        fields=_fields(d.get("fields", ())),
        separator=d.get("separator", ""),
        extra={k: v for k, v in d.items() if k not in known},
    )


@cache
def layouts() -> dict[str, MasterLayout]:
    """Every master layout of the package, by id (``kospi``, ``fo_idx``, ``overseas``...)."""
    text = resources.files("kisapi").joinpath("_data/masters.json").read_text(encoding="utf-8")
    return {d["id"]: layout_from_dict(d) for d in json.loads(text)["masters"]}
