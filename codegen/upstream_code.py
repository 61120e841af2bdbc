"""Facts from KIS's example code (``examples_llm/<category>/<function>/<function>.py``), read with
``ast``: never imported, never run.

For every function: its request parameters (literal ``params = {...}`` entries and the ones added
later as ``params["X"] = ...``, conditional or not), which arguments are required (a ``[필수]``
mark or an emptiness check that raises) and their defaults, the TR ID on every branch of the
``env_dv`` / side / exchange conditions, the branches that refuse the demo environment, GET or
POST, the ``tr_cont`` loop with the cursor keys read back, the output blocks and their shape, and
for realtime functions the column list.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER = re.compile(r"#\s*\[(?P<section>[^\]]+)\]\s*(?P<group>[^>\n]*?)\s*>\s*(?P<title>.+?)\s*$")
REQUIRED_MARK = "[필수]"
ENV_ARG = "env_dv"
NOT_CONTINUABLE = re.compile(r"다음\s?조회가?\s?불가|연속\s?조회가?\s?불가")
CONTINUABLE = re.compile(r"연속\s?조회를 통해|다음 조회가 가능")

Constraint = tuple[str, frozenset[str]]
"""("in" | "notin", values) on one argument."""


@dataclass
class _Path:
    """One way through a function: the constraints taken so far and the TR ID variable."""

    when: dict[str, Constraint] = field(default_factory=dict)
    tr_id: str | None = None
    done: bool = False
    guessed: bool = False
    """True inside a branch whose condition was not understood (an input check, say)."""

    def fork(self, *, guessed: bool = False) -> _Path:
        return _Path(dict(self.when), self.tr_id, self.done, self.guessed or guessed)

    def constrain(self, var: str, c: Constraint) -> bool:
        """Add ``c``; False when the path becomes impossible."""
        old = self.when.get(var)
        if old is None:
            self.when[var] = c
            return True
        merged = _merge(old, c)
        if merged is None:
            return False
        self.when[var] = merged
        return True


def _distinct(paths: Iterable[_Path]) -> list[_Path]:
    """Paths that differ only in conditions nobody constrained collapse into one."""
    seen: dict[tuple[object, ...], _Path] = {}
    for p in paths:
        seen.setdefault((tuple(sorted(p.when.items())), p.tr_id, p.guessed), p)
    return list(seen.values())


def _merge(a: Constraint, b: Constraint) -> Constraint | None:
    if a[0] == "in" and b[0] == "in":
        vals = a[1] & b[1]
    elif a[0] == "in":
        vals = a[1] - b[1]
    elif b[0] == "in":
        vals = b[1] - a[1]
    else:
        return ("notin", a[1] | b[1])
    return ("in", vals) if vals else None


def _negate(c: Constraint) -> Constraint:
    return ("notin" if c[0] == "in" else "in", c[1])


def _const_str(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _const_int(node: ast.expr | None) -> int | str | None:
    """An int bound, None for no bound, "bad" for anything else."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return "bad"


def _const_strs(node: ast.expr) -> frozenset[str] | None:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        vals = [_const_str(e) for e in node.elts]
        if all(v is not None for v in vals):
            return frozenset(v for v in vals if v is not None)
        return None
    one = _const_str(node)
    return frozenset([one]) if one is not None else None


def _condition(test: ast.expr) -> list[tuple[str, Constraint]] | None:
    """``test`` as a conjunction of constraints on arguments, or None when it is not one.

    ``a == "x"``, ``a in ("x", "y")``, ``a != "x"``, ``a == "x" or a == "y"`` and ``and`` of
    those are understood; anything else is left open (both branches are explored).
    """
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name):
        var, op, right = test.left.id, test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq | ast.In) and (vals := _const_strs(right)) is not None:
            return [(var, ("in", vals))]
        if isinstance(op, ast.NotEq | ast.NotIn) and (vals := _const_strs(right)) is not None:
            return [(var, ("notin", vals))]
        return None
    if isinstance(test, ast.BoolOp):
        parts = [_condition(v) for v in test.values]
        if any(p is None for p in parts):
            return None
        if isinstance(test.op, ast.And):
            return [c for p in parts if p for c in p]
        # or: only when every part constrains the same single argument positively
        flat = [p[0] for p in parts if p and len(p) == 1]
        if (
            len(flat) == len(parts)
            and len({v for v, _ in flat}) == 1
            and all(c[0] == "in" for _, c in flat)
        ):
            return [(flat[0][0], ("in", frozenset().union(*(c[1] for _, c in flat))))]
        return None
    return None


def _emptiness_checked(test: ast.expr) -> set[str]:
    """Arguments that ``test`` checks for being empty (``not a``, ``a == ""``, ``a is None``)."""
    found: set[str] = set()
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        if isinstance(test.operand, ast.Name):
            found.add(test.operand.id)
    elif isinstance(test, ast.Compare) and isinstance(test.left, ast.Name):
        right = test.comparators[0]
        op = test.ops[0]
        if (isinstance(op, ast.Eq) and _const_str(right) == "") or (
            isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value is None
        ):
            found.add(test.left.id)
    elif isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        for v in test.values:
            found |= _emptiness_checked(v)
    return found


def _membership_checked(test: ast.expr) -> set[str]:
    """Arguments that must be one of listed non-empty values (``if a not in ("01", "02"): raise``)."""
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.NotIn)
        and (vals := _const_strs(test.comparators[0])) is not None
        and "" not in vals
    ):
        return {test.left.id}
    return set()


def _raises(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Raise) for s in body)


def _is_call_to(node: ast.AST, name: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == name
    )


class _Walker:
    """Explores the function body path by path, following the TR ID variable."""

    def __init__(self, fn: ast.FunctionDef) -> None:
        self.fn = fn
        self.fetches: list[tuple[dict[str, Constraint], str | None, ast.Call]] = []
        self.refusals: list[dict[str, Constraint]] = []

    def run(self) -> None:
        self._block(self.fn.body, [_Path()])

    def _eval_tr(self, node: ast.expr, current: str | None) -> str | None:
        if (s := _const_str(node)) is not None:
            return s
        if isinstance(node, ast.Name) and node.id == "tr_id":
            return current
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._eval_tr(node.left, current), self._eval_tr(node.right, current)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            base = self._eval_tr(node.value, current)
            sl = node.slice
            bounds = [_const_int(sl.lower), _const_int(sl.upper)]
            if base is not None and sl.step is None and "bad" not in bounds:
                lo, hi = (b if isinstance(b, int) else None for b in bounds)
                return base[lo:hi]
        return None

    def _block(self, body: list[ast.stmt], paths: list[_Path]) -> list[_Path]:
        for stmt in body:
            paths = _distinct(p for p in paths if not p.done)
            if not paths:
                break
            paths = self._stmt(stmt, paths)
        return [p for p in paths if not p.done]

    def _stmt(self, stmt: ast.stmt, paths: list[_Path]) -> list[_Path]:
        if isinstance(stmt, ast.If):
            cond = _condition(stmt.test)
            yes: list[_Path] = []
            no: list[_Path] = []
            for p in paths:
                if cond is None:
                    yes.append(p.fork(guessed=True))
                    no.append(p.fork())
                    continue
                y = p.fork()
                if all(y.constrain(v, c) for v, c in cond):
                    yes.append(y)
                if len(cond) == 1:
                    n = p.fork()
                    if n.constrain(cond[0][0], _negate(cond[0][1])):
                        no.append(n)
                else:
                    no.append(p.fork())
            return self._block(stmt.body, yes) + self._block(stmt.orelse, no)
        if isinstance(stmt, ast.Raise):
            for p in paths:
                p.done = True
                # a refusal of the environment itself, not an input check or an "else" branch
                if not p.guessed and all(kind == "in" for kind, _ in p.when.values()):
                    self.refusals.append(p.when)
            return paths
        if isinstance(stmt, ast.Return):
            self._scan_calls(stmt, paths)
            for p in paths:
                p.done = True
            return paths
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is not None and any(
                isinstance(t, ast.Name) and t.id == "tr_id" for t in targets
            ):
                for p in paths:
                    p.tr_id = self._eval_tr(stmt.value, p.tr_id)
                return paths
            self._scan_calls(stmt, paths)
            return paths
        if isinstance(stmt, ast.Try):
            paths = self._block(stmt.body, paths)
            return self._block(stmt.finalbody, paths)
        if isinstance(stmt, ast.For | ast.While | ast.With):
            return self._block(stmt.body, paths)
        self._scan_calls(stmt, paths)
        return paths

    def _scan_calls(self, stmt: ast.stmt, paths: list[_Path]) -> None:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and (
                _is_call_to(node, "_url_fetch") or _is_call_to(node, "data_fetch")
            ):
                for p in paths:
                    self.fetches.append((dict(p.when), p.tr_id, node))


def _when_json(when: dict[str, Constraint], drop: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var, (kind, vals) in sorted(when.items()):
        if var in drop or kind != "in":
            continue
        ordered = sorted(vals)
        out[var] = ordered[0] if len(ordered) == 1 else ordered
    return out


def _arg_facts(fn: ast.FunctionDef, lines: list[str]) -> dict[str, dict[str, Any]]:
    args = fn.args.args + fn.args.kwonlyargs
    defaults: dict[str, ast.expr] = {}
    positional = fn.args.args
    with_defaults = positional[len(positional) - len(fn.args.defaults) :]
    for arg, default in zip(with_defaults, fn.args.defaults, strict=True):
        defaults[arg.arg] = default
    for arg, kw_default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        if kw_default is not None:
            defaults[arg.arg] = kw_default
    facts: dict[str, dict[str, Any]] = {}
    for arg in args:
        line = lines[arg.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        fact: dict[str, Any] = {"marked_required": REQUIRED_MARK in comment}
        label = comment.replace(REQUIRED_MARK, "").strip()
        fact["label"] = re.split(r"\s*\(", label, maxsplit=1)[0].strip()
        if arg.arg in defaults:
            d = defaults[arg.arg]
            fact["default"] = d.value if isinstance(d, ast.Constant) else ast.unparse(d)
        facts[arg.arg] = fact
    return facts


def _docstring_required(fn: ast.FunctionDef) -> set[str]:
    doc = ast.get_docstring(fn) or ""
    return {
        m.group(1) for m in re.finditer(r"^\s*(\w+)\s*\([^)]*\):\s*\[필수\]", doc, re.MULTILINE)
    }


def _checked_args(fn: ast.FunctionDef) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.If) and _raises(node.body):
            found |= _emptiness_checked(node.test) | _membership_checked(node.test)
    return found


@dataclass
class _Param:
    name: str
    value: ast.expr
    conditional: bool


def _params(fn: ast.FunctionDef) -> list[_Param]:
    """Request parameters in the order the code adds them."""
    found: dict[str, _Param] = {}

    def visit(body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if (
                    isinstance(target, ast.Name)
                    and target.id == "params"
                    and isinstance(stmt.value, ast.Dict)
                ):
                    for k, v in zip(stmt.value.keys, stmt.value.values, strict=True):
                        if k is not None and (key := _const_str(k)) is not None:
                            found.setdefault(key, _Param(key, v, conditional))
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "params"
                    and (key := _const_str(target.slice)) is not None
                ):
                    found.setdefault(key, _Param(key, stmt.value, conditional))
            if isinstance(stmt, ast.If):
                visit(stmt.body, True)
                visit(stmt.orelse, True)
            elif isinstance(stmt, ast.For) and (keys := _loop_keys(stmt)):
                for key, value in keys:
                    found.setdefault(key, _Param(key, value, conditional))
            elif isinstance(stmt, ast.For | ast.While | ast.With | ast.Try):
                visit(stmt.body, conditional)

    visit(fn.body, False)
    return list(found.values())


def _loop_keys(loop: ast.For) -> list[tuple[str, ast.expr]]:
    """``for i in range(1, 33): params[f"SRS_CD_{i:02d}"] = ...`` gives every key it adds."""
    it = loop.iter
    if not (
        isinstance(loop.target, ast.Name)
        and isinstance(it, ast.Call)
        and isinstance(it.func, ast.Name)
        and it.func.id == "range"
        and all(isinstance(a, ast.Constant) and isinstance(a.value, int) for a in it.args)
    ):
        return []
    bounds = [a.value for a in it.args if isinstance(a, ast.Constant) and isinstance(a.value, int)]
    var = loop.target.id
    names: dict[str, ast.JoinedStr] = {}
    keys: list[tuple[str, ast.expr]] = []
    for i in range(*bounds):
        for stmt in loop.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                continue
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and isinstance(stmt.value, ast.JoinedStr):
                names[target.id] = stmt.value
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "params"
            ):
                sl = target.slice
                template = names.get(sl.id) if isinstance(sl, ast.Name) else sl
                if isinstance(template, ast.JoinedStr):
                    key = _format(template, var, i)
                    if key is not None:
                        keys.append((key, stmt.value))
    return keys


def _format(node: ast.JoinedStr, var: str, value: int) -> str | None:
    """An f-string whose only placeholder is the loop variable, for one value of it."""
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            out.append(part.value)
        elif (
            isinstance(part, ast.FormattedValue)
            and isinstance(part.value, ast.Name)
            and part.value.id == var
        ):
            spec = part.format_spec
            pieces = spec.values if isinstance(spec, ast.JoinedStr) else []
            fmt = "".join(
                c.value for c in pieces if isinstance(c, ast.Constant) and isinstance(c.value, str)
            )
            out.append(format(value, fmt))
        else:
            return None
    return "".join(out)


def _body_attr(node: ast.AST) -> str | None:
    """``res.getBody().x`` → ``x``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Call)
        and _is_call_to(node.value, "getBody")
    ):
        return node.attr
    return None


def _outputs(fn: ast.FunctionDef) -> list[dict[str, str]]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    # output variables: ``x = res.getBody().output`` lets the shape be read where x is used
    aliases: dict[str, str] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            attr = _body_attr(node.value)
            if attr and attr.startswith("output") and isinstance(node.targets[0], ast.Name):
                aliases[node.targets[0].id] = attr
    shapes: dict[str, set[str]] = {}
    for node in ast.walk(fn):
        attr = _body_attr(node)
        if attr is None and isinstance(node, ast.Name) and node.id in aliases:
            attr = aliases[node.id]
        if attr is None or not attr.startswith("output"):
            continue
        shapes.setdefault(attr, set())
        parent = parents.get(id(node))
        if isinstance(parent, ast.List) and _is_call_to(parents.get(id(parent), fn), "DataFrame"):
            shapes[attr].add("object")
        elif _is_call_to(parent or fn, "DataFrame"):
            call = parent
            one = isinstance(call, ast.Call) and any(k.arg == "index" for k in call.keywords)
            shapes[attr].add("object" if one else "array")
        elif _is_call_to(parent or fn, "isinstance"):
            shapes[attr].add("either")
    out = []
    for key in sorted(shapes):
        s = shapes[key]
        shape = "either" if "either" in s or len(s) > 1 else (next(iter(s)) if s else "unknown")
        out.append({"key": key, "shape": shape})
    return out


def _pagination(fn: ast.FunctionDef, params: list[_Param]) -> tuple[bool, list[dict[str, str]]]:
    paginated = False
    for node in ast.walk(fn):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name | ast.Attribute):
            name = node.left.id if isinstance(node.left, ast.Name) else node.left.attr
            vals = _const_strs(node.comparators[0]) or frozenset()
            if name == "tr_cont" and vals & {"M", "F"}:
                paginated = True
    read_back: dict[str, str] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            attr = _body_attr(node.value)
            target = node.targets[0]
            if attr and not attr.startswith("output") and isinstance(target, ast.Name):
                read_back[target.id] = attr
    cursor = [
        {"request": p.name, "response": read_back[p.value.id]}
        for p in params
        if isinstance(p.value, ast.Name) and p.value.id in read_back
    ]
    return paginated, cursor


def _columns(fn: ast.FunctionDef) -> list[str]:
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "columns" for t in node.targets)
            and isinstance(node.value, ast.List)
        ):
            return [s for e in node.value.elts if (s := _const_str(e)) is not None]
    return []


def _is_post(call: ast.Call) -> bool:
    """Whether a ``_url_fetch`` call sends a POST (``postFlag``, keyword or 6th argument)."""
    flags = [k.value for k in call.keywords if k.arg == "postFlag"] + call.args[5:6]
    return any(isinstance(v, ast.Constant) and bool(v.value) for v in flags)


def _module_constant(tree: ast.Module, name: str) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return _const_str(node.value)
    return None


def _column_mapping(path: Path) -> dict[str, str]:
    """Response field → label from the sibling ``chk_*.py`` (all blocks merged)."""
    chk = path.with_name(f"chk_{path.name}")
    if not chk.exists():
        return {}
    tree = ast.parse(chk.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "COLUMN_MAPPING" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            out = {}
            for k, v in zip(node.value.keys, node.value.values, strict=True):
                key = _const_str(k) if k is not None else None
                label = _const_str(v)
                if key is not None:
                    out[key.lower()] = label or ""
            return out
    return {}


def extract_function(path: Path, category: str) -> dict[str, Any]:
    """Every fact of one example function, as JSON-ready data."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    name = path.stem
    fn = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name),
        None,
    ) or next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    entry: dict[str, Any] = {"key": f"{category}/{name}", "category": category, "function": name}
    for line in lines:
        if m := HEADER.match(line.strip()):
            title = m.group("title")
            doc = re.search(r"\[([^\[\]]+)\]\s*$", title)
            entry["section"] = m.group("section").strip()
            entry["group"] = m.group("group").strip()
            entry["title"] = title[: doc.start()].strip() if doc else title
            if doc:
                entry["doc_id"] = doc.group(1)
            break
    walker = _Walker(fn)
    walker.run()
    is_ws = any(_is_call_to(c, "data_fetch") for _, _, c in walker.fetches)
    entry["kind"] = "websocket" if is_ws else "rest"
    args = _arg_facts(fn, lines)
    required = _checked_args(fn) | _docstring_required(fn)
    for arg, fact in args.items():
        fact["required"] = fact.pop("marked_required") or arg in required
    env_is_arg = ENV_ARG in args
    selectors = {
        var
        for when, _, _ in walker.fetches
        for var, (kind, _) in when.items()
        if kind == "in" and var != ENV_ARG and var in args
    }
    tr_rows: dict[tuple[str, str], dict[str, Any]] = {}
    for when, tr_id, _call in walker.fetches:
        if tr_id is None:
            continue
        envs: list[str | None] = []
        if ENV_ARG in when and when[ENV_ARG][0] == "in":
            envs = [*sorted(when[ENV_ARG][1])]
        for env in envs or [None]:
            cond = _when_json({k: v for k, v in when.items() if k in selectors}, set())
            if env is not None:
                cond = {ENV_ARG: env, **cond}
            row = {"when": cond, "tr_id": tr_id}
            tr_rows[(repr(sorted(cond.items())), tr_id)] = row
    entry["tr_ids"] = [tr_rows[k] for k in sorted(tr_rows)]
    if env_is_arg:
        refused = []
        for when in walker.refusals:
            env_c = when.get(ENV_ARG)
            if env_c and env_c[0] == "in" and env_c[1] == frozenset({"demo"}):
                refused.append(_when_json({k: v for k, v in when.items() if k in selectors}, set()))
        if refused:
            entry["demo_refused"] = sorted(refused, key=repr)
    if is_ws:
        entry["ws_columns"] = _columns(fn)
        entry["request_fields"] = [
            {
                "name": "tr_key",
                "arg": "tr_key",
                "required": True,
                "label": args.get("tr_key", {}).get("label", ""),
            }
        ]
    else:
        entry["path"] = _module_constant(tree, "API_URL")
        entry["method"] = "POST" if any(_is_post(c) for _, _, c in walker.fetches) else "GET"
        params = _params(fn)
        fields = []
        for p in params:
            f: dict[str, Any] = {"name": p.name}
            if isinstance(p.value, ast.Name) and p.value.id in args:
                fact = args[p.value.id]
                f["arg"] = p.value.id
                f["required"] = bool(fact["required"])
                if "default" in fact and fact["default"] not in (None, ""):
                    f["default"] = str(fact["default"])
                if fact["label"]:
                    f["label"] = fact["label"]
            elif (fixed := _const_str(p.value)) is not None:
                f["fixed"] = fixed
                f["required"] = False
            else:
                f["computed"] = True
                f["required"] = False
            if p.conditional:
                f["conditional"] = True
            fields.append(f)
        entry["request_fields"] = fields
        paginated, cursor = _pagination(fn, params)
        entry["paginated"] = paginated
        notes = (ast.get_docstring(fn) or "") + "\n".join(lines[fn.lineno : fn.body[0].lineno])
        if NOT_CONTINUABLE.search(notes):
            entry["continuable"] = False
        elif CONTINUABLE.search(notes):
            entry["continuable"] = True
        if cursor:
            entry["cursor"] = cursor
        entry["outputs"] = _outputs(fn)
        labels = _column_mapping(path)
        if labels:
            entry["response_labels"] = labels
    entry["selectors"] = sorted({s for s in selectors} | ({ENV_ARG} if env_is_arg else set()))
    return entry


def iter_functions(root: Path) -> Iterator[tuple[str, Path]]:
    """(category, file) of every example function under ``root/examples_llm``."""
    base = root / "examples_llm"
    for category in sorted(p for p in base.iterdir() if p.is_dir()):
        for folder in sorted(p for p in category.iterdir() if p.is_dir()):
            main = folder / f"{folder.name}.py"
            if main.exists():
                yield category.name, main
