"""``kisapi call API --field value``: one command per API, made on demand from the registry."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

from kisapi_runtime.errors import KisError
from kisapi_runtime.pagination import DEFAULT_MAX_PAGES, Paginator
from kisapi_runtime.registry import ApiInfo
from kisapi_runtime.request import Prepared
from kisapi_runtime.secret import mask_account

from . import exitcodes
from .config import make_client
from .options import option
from .output import plain, print_tables, to_csv

_SECRET_FILLS = {"account_number", "hts_id", "appkey", "appsecret", "secretkey"}


def registry() -> Any:
    from kisapi.registry import registry as reg

    return reg()


def dry_run_request(client: Any, info: ApiInfo, prepared: Prepared) -> dict[str, Any]:
    """The request as it would be sent, with keys, token and account masked."""
    secret_wires = {p.wire for p in info.params if p.fill in _SECRET_FILLS}
    body = {
        k: (mask_account(v) if k in secret_wires and v else v) for k, v in prepared.params.items()
    }
    headers = {
        "content-type": "application/json; charset=utf-8",
        "authorization": "Bearer ***",
        "appkey": "***",
        "appsecret": "***",
        "tr_id": prepared.tr_id,
        "custtype": client.config.custtype,
        "tr_cont": "",
    }
    return {
        "method": info.method,
        "url": client.config.base_url + info.path,
        "headers": headers,
        "body" if info.method == "POST" else "params": body,
    }


def run(info: ApiInfo, values: dict[str, Any], opts: dict[str, Any]) -> int:
    out = Console(soft_wrap=False, width=opts.get("width"))
    err = Console(stderr=True)
    values = {k: v for k, v in values.items() if v is not None}
    try:
        client = make_client(opts.get("env"), opts.get("config"))
        with client:
            spec = info.spec()
            if info.kind == "order" and not opts["execute"]:
                request = dry_run_request(client, info, client.prepare(spec, values))
                if opts["json"]:
                    shown = {"dry_run": True, "request": request}
                    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
                else:
                    err.print("[yellow]dry run[/]: nothing sent; add --execute to place this order")
                    click.echo(json.dumps(request, ensure_ascii=False, indent=2))
                return exitcodes.OK
            if opts.get("all_pages") and info.paginated:
                pages: Paginator[Any, Any] = Paginator(
                    client, client.prepare(spec, values), DEFAULT_MAX_PAGES
                )
                result = pages.collect()
                data = plain(result.rows)
                data = {next(b.key.lower() for b in info.blocks if b.shape == "array"): data}
                if not result.complete:
                    err.print("[yellow]stopped at the page cap; more rows exist[/]")
            else:
                data = plain(client.call(spec, values))
    except KisError as exc:
        print(f"kisapi: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exitcodes.code_for(exc)
    if opts["json"]:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif opts["csv"]:
        click.echo(to_csv(info, data), nl=False)
    else:
        print_tables(out, info, data)
    return exitcodes.OK


def invoke(name: str, args: list[str]) -> int:
    """Parse ``args`` with the options of API ``name`` and run it; returns the exit code."""
    try:
        info = registry().get(name)
    except KeyError as exc:
        print(f"kisapi: {exc.args[0]}", file=sys.stderr)
        return exitcodes.USAGE
    command = api_command(info)
    try:
        command.main(args=args, prog_name=f"kisapi call {info.id}", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exitcodes.USAGE
    except SystemExit as done:
        return int(done.code or 0)
    return exitcodes.OK  # --help


def api_command(info: ApiInfo) -> click.Command:
    params: list[click.Parameter] = [option(p) for p in info.params]
    names = {p.py for p in info.params}
    common = [
        click.Option(["--json", "as_json"], is_flag=True, help="print JSON (values as KIS codes; decimals as text)"),
        click.Option(["--csv", "as_csv"], is_flag=True, help="print the main table as CSV"),
        click.Option(["--env"], type=click.Choice(["real", "mock"]), help="override KIS_ENV"),
        click.Option(["--config"], type=click.Path(dir_okay=False), help="TOML config file (like KIS_CONFIG)"),
    ]  # fmt: skip
    if info.kind == "order":
        common.append(click.Option(["--execute"], is_flag=True, help="really send the order (default: print it only)"))  # fmt: skip
    if info.paginated:
        common.append(click.Option(["--all", "all_pages"], is_flag=True, help="fetch every page"))
    params += [c for c in common if c.name not in names]

    def callback(**kwargs: Any) -> None:
        values = {k: v for k, v in kwargs.items() if k in names}
        opts = {
            "json": kwargs.get("as_json", False),
            "csv": kwargs.get("as_csv", False),
            "env": kwargs.get("env") if "env" not in names else None,
            "config": kwargs.get("config") if "config" not in names else None,
            "execute": kwargs.get("execute", False),
            "all_pages": kwargs.get("all_pages", False),
        }
        raise SystemExit(run(info, values, opts))

    mock = {"yes": "mock: yes", "partly": "mock: some choices", "no": "mock: no"}[info.mock]
    trs = ", ".join(
        f"{t.real or '-'}/{t.mock or '-'}" + (f" ({' '.join(k + '=' + '|'.join(v) for k, v in t.when)})" if t.when else "")
        for t in info.tr_ids
    )  # fmt: skip
    doc = (
        f"{info.title}: {info.summary}\n\n{info.method} {info.path} - {info.kind}"
        f"{', paginated' if info.paginated else ''}; TR ID real/mock: {trs or '-'}; {mock}."
    )
    if info.kind == "order":
        doc += "\n\nOrders are printed, not sent, unless --execute is given."
    return click.Command(info.id, params=params, callback=callback, help=doc, short_help=info.title)
