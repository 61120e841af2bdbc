"""Scenario 11: ticks of three stocks and the execution notice of an order, on a mock client.

``H0STCNI0`` is the notice's TR ID; the mock client subscribes ``H0STCNI9`` for it.
"""

import asyncio

from _sandbox import sandbox

from kisapi import AsyncKis


async def main() -> None:
    async with AsyncKis.from_env() as kis, kis.realtime() as rt:
        for code in ("005930", "000660", "035720"):
            await rt.subscribe("H0STCNT0", code)
        await rt.subscribe("H0STCNI0")  # keyed by the client's HTS ID
        await kis.domestic_stock.buy("005930", qty=1)
        seen: set[str | None] = set()
        async for record in rt.records():
            print(f"[{record.tr_id} {record.key}] {record.as_dict()}")
            seen.add(record.key if record.tr_id == "H0STCNT0" else record.tr_id)
            if seen >= {"005930", "000660", "035720", "H0STCNI0"}:
                break


if __name__ == "__main__":
    with sandbox():
        asyncio.run(main())
