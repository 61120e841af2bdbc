"""A raw KIS caller over httpx into one in-process sandbox (real environment, one token)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx

from kisapi_runtime.codecs import KST
from kisapi_sandbox import Sandbox
from kisapi_sandbox.market import ManualClock, Market

HOST = "https://openapi.koreainvestment.com:9443"
NOW = datetime(2026, 3, 4, 11, 0, tzinfo=KST)  # a Wednesday, mid-session
CODE = "005930"


class Caller:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.client = httpx.Client(base_url=HOST, transport=sandbox.transport())
        body = {"grant_type": "client_credentials", "appkey": "app", "appsecret": "secret"}
        self.token = self.client.post("/oauth2/tokenP", json=body).json()["access_token"]

    def get(self, path: str, tr_id: str, **params: str) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}", "appkey": "app",
                   "appsecret": "secret", "tr_id": tr_id, "custtype": "P"}  # fmt: skip
        response = self.client.get(path, params=params, headers=headers)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and body["rt_cd"] == "0", body
        return body

    def daily(
        self, start: date, end: date, code: str = CODE, period: str = "D"
    ) -> list[dict[str, str]]:
        body = self.get("/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice",
                        "FHKST03010100", FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD=code,
                        FID_INPUT_DATE_1=f"{start:%Y%m%d}", FID_INPUT_DATE_2=f"{end:%Y%m%d}",
                        FID_PERIOD_DIV_CODE=period, FID_ORG_ADJ_PRC="0")  # fmt: skip
        rows: list[dict[str, str]] = body["output2"]
        return rows

    def quote(self, code: str = CODE) -> dict[str, str]:
        body = self.get("/uapi/domestic-stock/v1/quotations/inquire-price", "FHKST01010100",
                        FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD=code)  # fmt: skip
        out: dict[str, str] = body["output"]
        return out

    def close(self) -> None:
        self.client.close()


def market_at(when: datetime = NOW, **options: Any) -> Market:
    return Market(clock=ManualClock(when), **options)
