"""Typed view of spec/schema/api.schema.json (datamodel-code-generator). Do not edit."""

from __future__ import annotations

from typing import Literal, NotRequired, TypeAlias

from typing_extensions import TypedDict


class Upstream(TypedDict, closed=True):
    accept: NotRequired[dict[str, str]]


PyName: TypeAlias = str


WireName: TypeAlias = str


TypeName: TypeAlias = str


class TrIdPair(TypedDict, closed=True):
    real: str
    mock: str | None
    deprecated: NotRequired[list[str]]


class Selector(TypedDict, closed=True):
    name: PyName
    values: list[str]
    label: str
    default: NotRequired[str]


class TrIdRule(TypedDict, closed=True):
    when: dict[str, str | list[str]]
    real: str | None
    mock: str | None
    deprecated: NotRequired[list[str]]


class TrIdRules(TypedDict, closed=True):
    select: NotRequired[list[Selector]]
    rules: list[TrIdRule]


TrId: TypeAlias = TrIdPair | TrIdRules | None


class RequestField1(TypedDict, closed=True):
    name: WireName
    py_name: NotRequired[PyName]
    type: NotRequired[TypeName]
    label: NotRequired[str]
    required: NotRequired[bool]
    required_when: NotRequired[dict[str, str | list[str]]]
    default: NotRequired[str]
    fixed: NotRequired[str]
    max_length: NotRequired[int]
    doc: NotRequired[str]
    secret: NotRequired[bool]


RequestField: TypeAlias = WireName | RequestField1


class ResponseField1(TypedDict, closed=True):
    name: WireName
    py_name: NotRequired[PyName]
    type: NotRequired[TypeName]
    label: NotRequired[str]
    secret: NotRequired[bool]
    always: NotRequired[bool]


ResponseField: TypeAlias = WireName | ResponseField1


class Block(TypedDict, closed=True):
    key: WireName
    shape: Literal["object", "array"]
    optional: NotRequired[bool]
    model: NotRequired[str]
    fields: list[ResponseField]


class Response(TypedDict, closed=True):
    blocks: NotRequired[list[Block]]
    scalars: NotRequired[list[ResponseField]]


class CursorKey(TypedDict, closed=True):
    request: WireName
    response: WireName


class Pagination(TypedDict, closed=True):
    cursor: list[CursorKey]
    rows: WireName


class Window(TypedDict, closed=True):
    rows: WireName
    key: list[WireName]
    end: list[WireName]
    start: NotRequired[WireName]
    step: NotRequired[Literal["day", "minute", "none"]]
    carry: NotRequired[dict[WireName, str]]
    fixed: NotRequired[dict[WireName, str]]


class ApiSpecFile(TypedDict, closed=True):
    id: str
    catalog_key: NotRequired[str]
    upstream: NotRequired[Upstream]
    title: str
    doc_id: NotRequired[str]
    group: NotRequired[str]
    summary: str
    aliases: NotRequired[list[PyName]]
    method: Literal["GET", "POST"]
    path: str
    kind: Literal["query", "order", "auth"]
    cache: NotRequired[bool]
    hashkey: NotRequired[bool]
    tr_id: TrId
    request: NotRequired[list[RequestField]]
    response: NotRequired[Response]
    pagination: NotRequired[Pagination]
    window: NotRequired[Window]
