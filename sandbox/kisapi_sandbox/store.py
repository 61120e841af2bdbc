"""Paper-trading state: accounts, positions, orders and executions, kept in memory and, when
given a path, written through to a SQLite file so a session can be resumed later."""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any, ClassVar

import attrs

SCHEMA = "1"


@attrs.define
class Account:
    """One account (CANO + ACNT_PRDT_CD) and the cash deposited into it."""

    KIND: ClassVar[str] = "account"
    account: str
    """``CANO-ACNT_PRDT_CD``, e.g. ``50000000-01``."""
    deposit: int
    hts_id: str | None = None

    @property
    def key(self) -> str:
        return self.account


@attrs.define
class Position:
    """Shares of one stock held in one account, with their purchase cost."""

    KIND: ClassVar[str] = "position"
    account: str
    pdno: str
    qty: int = 0
    cost: int = 0

    @property
    def key(self) -> str:
        return f"{self.account}|{self.pdno}"


@attrs.define
class Order:
    """An order as KIS books it: a new order, or a correction or cancellation of one.

    A correction gets its own order number and takes over the quantity it moves; a cancel is
    booked as a row of its own whose quantity is the quantity it cancelled.
    """

    KIND: ClassVar[str] = "order"
    odno: str
    account: str
    kind: str
    """``new``, ``revise`` or ``cancel``."""
    side: str
    """``buy`` or ``sell``."""
    pdno: str
    ord_dvsn: str
    qty: int
    price: int
    """Limit price; 0 for market-type orders."""
    ord_dt: str
    ord_tmd: str
    branch: str
    excg: str
    mock: bool
    orgn_odno: str = ""
    filled_qty: int = 0
    filled_amt: int = 0
    cancelled_qty: int = 0
    closed: bool = False
    """No longer working: filled, cancelled, moved by a correction, or expired at the close."""
    checked_at: str = ""
    """ISO time up to which the price path has been checked against this order."""

    @property
    def key(self) -> str:
        return self.odno

    @property
    def remaining(self) -> int:
        return 0 if self.kind == "cancel" else self.qty - self.filled_qty - self.cancelled_qty

    @property
    def working(self) -> bool:
        return not self.closed and self.remaining > 0


@attrs.define
class Execution:
    """One fill; cash moves on its settlement day (two business days later)."""

    KIND: ClassVar[str] = "execution"
    seq: int
    account: str
    odno: str
    pdno: str
    side: str
    qty: int
    price: int
    ccld_dt: str
    ccld_tmd: str
    settle_dt: str

    @property
    def key(self) -> str:
        return f"{self.seq:012d}"

    @property
    def amount(self) -> int:
        return self.qty * self.price

    @property
    def cash_flow(self) -> int:
        return self.amount if self.side == "sell" else -self.amount


@attrs.define
class Booking:
    """An order the broker accepts and lists but does not fill (overseas stock, futures and
    options): the request's fields as sent, kept as text."""

    KIND: ClassVar[str] = "booking"
    odno: str
    account: str
    api: str
    """The order API that took it, e.g. ``overseas_stock.order``."""
    side: str
    """``buy`` or ``sell``."""
    pdno: str
    qty: int
    price: str
    """The limit price as sent (a decimal for overseas stock and futures)."""
    ord_dt: str
    ord_tmd: str
    branch: str
    mock: bool
    market: str = ""
    """The exchange code for overseas stock; empty otherwise."""
    orgn_odno: str = ""
    """The order a modify or cancel refers to; empty for a new order."""
    kind: str = "new"
    """``new``, ``revise`` or ``cancel``."""
    moved: int = 0
    """Quantity taken off by later modifies and cancels."""

    @property
    def remaining(self) -> int:
        return 0 if self.kind == "cancel" else self.qty - self.moved

    @property
    def key(self) -> str:
        return self.odno


Record = Account | Position | Order | Execution | Booking
_TYPES: dict[str, type[Record]] = {
    t.KIND: t for t in (Account, Position, Order, Execution, Booking)
}


class Store:
    """In-memory state, written through to SQLite when ``path`` is given (``:memory:`` works
    too). Call :meth:`commit` after a consistent set of changes."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.accounts: dict[str, Account] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.orders: dict[str, Order] = {}
        self.executions: list[Execution] = []
        self.bookings: dict[str, Booking] = {}
        self.meta: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            # callers serialise access (the broker holds a lock), so any thread may use it
            self._db = sqlite3.connect(os.fspath(path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS records ("
                "kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, "
                "PRIMARY KEY (kind, key))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            self._load()
            if self.meta.setdefault("schema", SCHEMA) != SCHEMA:
                raise ValueError(f"{path}: paper store schema {self.meta['schema']}, not {SCHEMA}")
            self.set_meta("schema", SCHEMA)
            self.commit()

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def _load(self) -> None:
        assert self._db is not None
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            self.meta[key] = value
        rows = self._db.execute("SELECT kind, body FROM records ORDER BY kind, key")
        for kind, body in rows:
            cls = _TYPES.get(kind)
            if cls is not None:
                self._remember(cls(**json.loads(body)))

    def _remember(self, record: Record) -> None:
        if isinstance(record, Account):
            self.accounts[record.account] = record
        elif isinstance(record, Position):
            self.positions[record.account, record.pdno] = record
        elif isinstance(record, Order):
            self.orders[record.odno] = record
        elif isinstance(record, Booking):
            self.bookings[record.odno] = record
        elif not self.executions or self.executions[-1].seq < record.seq:
            self.executions.append(record)

    def put(self, record: Record) -> None:
        """Add ``record`` or save its changes."""
        self._remember(record)
        if self._db is not None:
            body = json.dumps(attrs.asdict(record), ensure_ascii=False, sort_keys=True)
            self._db.execute(
                "INSERT INTO records (kind, key, body) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body",
                (record.KIND, record.key, body),
            )

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value
        if self._db is not None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def counter(self, name: str, start: int = 1) -> int:
        """The next value of a persistent counter."""
        value = int(self.meta.get(name, str(start)))
        self.set_meta(name, str(value + 1))
        return value

    def commit(self) -> None:
        if self._db is not None:
            self._db.commit()

    def close(self) -> None:
        if self._db is not None:
            self._db.commit()
            self._db.close()
            self._db = None

    def snapshot(self) -> dict[str, Any]:
        """Everything, as plain data (for comparisons and debugging)."""
        groups: dict[str, list[Record]] = {
            "accounts": list(self.accounts.values()),
            "positions": list(self.positions.values()),
            "orders": list(self.orders.values()),
            "executions": list(self.executions),
            "bookings": list(self.bookings.values()),
        }
        out: dict[str, Any] = {
            name: [attrs.asdict(r) for r in sorted(records, key=lambda r: r.key)]
            for name, records in groups.items()
        }
        out["meta"] = dict(sorted(self.meta.items()))
        return out
