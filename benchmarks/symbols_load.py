"""Loading the KOSPI + KOSDAQ masters (about 4,300 records, the size of KIS's files) the way users
do (``Symbols.load`` from the day's cached zips, then lookups), against a floor measured in the
same process: unzip and decode every line, nothing else. KIS's own example parses the tail with
``pandas.read_fwf``; it is timed too when pandas is installed.

Run alone: ``python benchmarks/symbols_load.py`` (``make bench`` includes it).
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kisapi_runtime.symbols import Symbols
from kisapi_runtime.symbols.layout import layouts, read_zip

ROWS = {"kospi": 2_500, "kosdaq": 1_800}


def _records(master: str, count: int) -> list[dict[str, object]]:
    return [
        {
            "mksc_shrn_iscd": f"{i:06d}",
            "stnd_iscd": f"KR7{i:06d}00{i % 10}",
            "hts_kor_isnm": f"테스트{master}종목{i:04d}",
            "scrt_grp_cls_code": "ST",
            "stck_sdpr": 10_000 + i,
            "stck_fcam": 500,
            "stck_lstn_date": "20200102",
            "lstn_stcn": 1_000_000 + i,
        }
        for i in range(count)
    ]


def _zips() -> dict[str, bytes]:
    out = {}
    for master, count in ROWS.items():
        layout = layouts()[master]
        file = layout.files[0]
        out[file.file] = layout.zip(file.member, _records(master, count))
    return out


def _best(fn: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples)


def measure(runs: int = 7) -> dict[str, float]:
    zips = _zips()
    folder = Path(tempfile.mkdtemp(prefix="kisapi-bench-masters-"))
    for name, data in zips.items():
        (folder / name).write_bytes(data)  # today's copy: no download

    def floor() -> None:
        for master in ROWS:
            file = layouts()[master].files[0]
            data = read_zip((folder / file.file).read_bytes(), file.member)
            for line in data.split(b"\n"):
                line.decode("cp949")

    def load() -> None:
        Symbols(folder, base_url="http://unused.invalid/").load(*ROWS)

    symbols = Symbols(folder, base_url="http://unused.invalid/")
    symbols.load(*ROWS)
    floor_s = _best(floor, runs)
    load_s = _best(load, runs)
    get_s = _best(lambda: symbols.get("001799"), runs * 20)
    find_s = _best(lambda: symbols.find("테스트kosdaq종목17", masters=ROWS), runs)
    result = {
        "records": float(sum(ROWS.values())),
        "floor_ms": floor_s * 1e3,
        "load_ms": load_s * 1e3,
        "load_ratio": load_s / floor_s,
        "get_us": get_s * 1e6,
        "find_ms": find_s * 1e3,
    }
    try:
        import pandas as pd
    except ImportError:
        return result
    widths = [f.width or 0 for f in layouts()["kospi"].tail]
    tail_width = sum(widths)

    def kis_example() -> None:  # stocks_info/kis_kospi_code_mst.py, in memory
        file = layouts()["kospi"].files[0]
        text = read_zip((folder / file.file).read_bytes(), file.member).decode("cp949")
        lines = text.splitlines()
        heads = [(r[:9].rstrip(), r[9:21].rstrip(), r[21:-tail_width].strip()) for r in lines]
        tails = "\n".join(r[-tail_width:] for r in lines)
        pd.DataFrame(heads, columns=["code", "isin", "name"]).join(
            pd.read_fwf(io.StringIO(tails), widths=widths, header=None)
        )

    kospi_share = ROWS["kospi"] / sum(ROWS.values())
    result["pandas_kospi_ms"] = _best(kis_example, max(3, runs // 2)) * 1e3
    result["pandas_ratio"] = result["pandas_kospi_ms"] / (result["load_ms"] * kospi_share)
    return result


def report(r: dict[str, float]) -> list[str]:
    lines = [
        f"symbols: load {r['records']:.0f} KOSPI+KOSDAQ records {r['load_ms']:8.1f} ms  "
        f"{r['load_ratio']:.2f}x unzip+decode floor ({r['floor_ms']:.1f} ms)",
        f"symbols.get (typed record)    {r['get_us']:8.1f} us;  symbols.find {r['find_ms']:.2f} ms",
    ]
    if "pandas_kospi_ms" in r:
        lines.append(
            f"  KIS's pandas.read_fwf parse (KOSPI only) {r['pandas_kospi_ms']:.1f} ms: "
            f"{r['pandas_ratio']:.1f}x kisapi's load of the same rows"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
    sys.exit(0)
