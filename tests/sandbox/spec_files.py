"""The REST specs as the sandbox tests read them: a small view over ``tests/endpoints/
spec_model`` (the YAML read directly, independently of the sandbox, codegen and the generated
code), with what the conformance tests ask of a field."""

from __future__ import annotations

from dataclasses import dataclass

from ..endpoints import spec_model as sm


@dataclass(frozen=True)
class SpecField:
    wire: str
    type: str
    """``int``, ``str``, ``bool``..., or ``enum:Name``."""
    required: bool = False
    default: str | None = None
    fixed: str | None = None
    max_length: int | None = None

    @property
    def enum(self) -> str | None:
        return self.type.split(":", 1)[1] if self.type.startswith("enum:") else None

    @property
    def must_send(self) -> bool:
        """The caller must send it: required, with no default or fixed value to fall back on."""
        return self.required and self.default is None and self.fixed is None


@dataclass(frozen=True)
class SpecBlock:
    key: str
    shape: str
    fields: tuple[SpecField, ...]


@dataclass(frozen=True)
class RestSpec:
    id: str
    kind: str
    method: str
    path: str
    tr_ids: tuple[tuple[str | None, str | None], ...]
    """(real, mock) per TR ID rule, in the spec's order."""
    request: tuple[SpecField, ...]
    blocks: tuple[SpecBlock, ...]
    scalars: tuple[SpecField, ...]

    def __str__(self) -> str:
        return self.id


def enum_codes() -> dict[str, frozenset[str]]:
    """Enum name -> the codes KIS sends."""
    return {name: frozenset(sm.enum_codes(f"enum:{name}")) for name in sm.shared_enums()}


def _view(api: sm.SpecApi) -> RestSpec:
    def response(fields: tuple[sm.RespField, ...]) -> tuple[SpecField, ...]:
        return tuple(SpecField(f.wire, f.type) for f in fields)

    return RestSpec(
        id=api.id,
        kind=api.kind,
        method=api.method,
        path=api.path,
        tr_ids=tuple((r.real, r.mock) for r in api.rules),
        request=tuple(
            SpecField(f.wire, f.type, f.required, f.default, f.fixed, f.max_length)
            for f in api.request
        ),
        blocks=tuple(SpecBlock(b.key, b.shape, response(b.fields)) for b in api.blocks),
        scalars=response(api.scalars),
    )


def rest_specs() -> list[RestSpec]:
    """Every REST spec (auth included), by id."""
    return [_view(sm.load(api_id)) for api_id in sm.api_ids()]
