"""The ``kisapi`` command (typer + rich); the ``call`` subcommands come from the registry."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kisapi_runtime.errors import KisError

from . import exitcodes
from .call import invoke, registry
from .config import make_async_client
from .output import plain

EXIT_CODES_HELP = "Exit codes: " + "; ".join(f"{c} {text}" for c, text in exitcodes.TABLE) + "."

app = typer.Typer(
    name="kisapi",
    help=(
        "Korea Investment & Securities (KIS Developers) Open API from the command line. "
        "Configured like the SDK: KIS_APPKEY, KIS_APPSECRET, KIS_ACCOUNT, KIS_ENV=real|mock, "
        "KIS_REST_URL, KIS_WS_URL, or a TOML file named by KIS_CONFIG. " + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.command("apis")
def apis_command(
    search: Annotated[
        str | None,
        typer.Argument(help="words to find in id, TR ID, Korean title or English summary"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    realtime: Annotated[
        bool, typer.Option("--realtime", help="list realtime (WebSocket) TRs instead")
    ] = False,
) -> None:
    """List the APIs (or realtime TRs) with their TR IDs, kind and mock support."""
    reg = registry()
    console = Console(soft_wrap=False)
    if realtime:
        found_rt = reg.search_realtime(search)
        if as_json:
            rows = [{"id": r.id, "title": r.title, "summary": r.summary, "tr_id_real": r.real,
                     "tr_id_mock": r.mock, "key": r.key_kind, "encrypted": r.encrypted} for r in found_rt]  # fmt: skip
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            table = Table(title=f"{len(found_rt)} realtime TRs")
            for col in ("TR ID", "mock", "id", "title"):
                table.add_column(col)
            for r in found_rt:
                table.add_row(r.real, r.mock or "-", r.id, r.title)
            console.print(table)
        raise typer.Exit(exitcodes.OK if found_rt else exitcodes.USAGE)
    found = reg.search(search)
    if as_json:
        rows = [
            {"id": a.id, "title": a.title, "summary": a.summary, "method": a.method, "path": a.path,
             "kind": a.kind, "paginated": a.paginated, "tr_ids_real": list(a.real_tr_ids),
             "tr_ids_mock": list(a.mock_tr_ids), "mock": a.mock}
            for a in found
        ]  # fmt: skip
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"{len(found)} APIs")
        for col in ("id", "title", "kind", "TR ID (real)", "mock", "pages"):
            table.add_column(col, overflow="fold")
        for a in found:
            table.add_row(a.id, a.title, a.kind, " ".join(a.real_tr_ids) or "-", a.mock,
                          "yes" if a.paginated else "")  # fmt: skip
        console.print(table)
    raise typer.Exit(exitcodes.OK if found else exitcodes.USAGE)


@app.command("stream")
def stream_command(
    tr_id: Annotated[str, typer.Argument(help="realtime TR ID (H0STCNT0) or id")],
    keys: Annotated[
        list[str] | None, typer.Argument(help="stock codes (or other keys) to subscribe")
    ] = None,
    count: Annotated[
        int, typer.Option("--count", "-n", help="stop after this many records (0: never)")
    ] = 0,
    env: Annotated[str | None, typer.Option("--env", help="override KIS_ENV (real|mock)")] = None,
    config: Annotated[
        str | None, typer.Option("--config", help="TOML config file (like KIS_CONFIG)")
    ] = None,
) -> None:
    """Subscribe to a realtime TR and print one JSON line per record."""
    try:
        info = registry().get_realtime(tr_id)
    except KeyError as exc:
        typer.echo(f"kisapi: {exc.args[0]}", err=True)
        raise typer.Exit(exitcodes.USAGE) from None
    try:
        asyncio.run(_stream(info.real, keys or [], count, env, config))
    except KisError as exc:
        typer.echo(f"kisapi: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(exitcodes.code_for(exc)) from None
    except KeyboardInterrupt:
        pass


async def _stream(
    tr_id: str, keys: list[str], count: int, env: str | None, config: str | None
) -> None:
    client = make_async_client(env, config)
    async with client:
        tr = tr_id
        if client.is_mock:
            tr = registry().get_realtime(tr_id).mock or tr_id
        async with client.realtime() as rt:
            for key in keys:
                await rt.subscribe(tr, key)
            if not keys:
                await rt.subscribe(tr, None)
            seen = 0
            async for record in rt.records():
                line = {"tr_id": tr, **plain(record.as_dict())}
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                seen += 1
                if count and seen >= count:
                    break


@app.command("sandbox", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def sandbox_command(ctx: typer.Context) -> None:
    """Start the local KIS sandbox (needs `pip install kisapi[sandbox]`); options as kisapi-sandbox --help."""
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        typer.echo("kisapi sandbox needs uvicorn: pip install 'kisapi[sandbox]'", err=True)
        raise typer.Exit(exitcodes.CONFIG) from None
    from kisapi_sandbox.__main__ import main as sandbox_main

    sandbox_main(list(ctx.args))


@app.command("exit-codes")
def exit_codes_command() -> None:
    """What each exit code means."""
    for code, text in exitcodes.TABLE:
        typer.echo(f"{code}  {text}")


@app.command(
    "call",
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
)
def call_command(
    ctx: typer.Context,
    api: Annotated[
        str | None, typer.Argument(help="API id (domestic_stock.inquire_price) or TR ID")
    ] = None,
) -> None:
    """Call one API: kisapi call domestic_stock.inquire_price --fid-input-iscd 005930 [--json|--csv].
    `kisapi call API --help` lists its options, typed and labelled from the spec."""
    if api is None or api in ("--help", "-h"):
        typer.echo(ctx.get_help())
        raise typer.Exit(exitcodes.OK if api else exitcodes.USAGE)
    raise typer.Exit(invoke(api, list(ctx.args)))


def main(argv: list[str] | None = None) -> Any:
    return app(args=argv, prog_name="kisapi")
