"""Memory of one order-book answer: the peak Python memory (tracemalloc) per order in the book.

`python -m tools.bench_books` places orders in a sandbox engine on a SQLite file and reads the book
the two ways the REST layer has answered it: the models' path (engine views, wire dicts, the
`OrderBook` model, its dump, connexion's `json.dumps`, the body encoded) and the JSON writer
(`sandbox/engine/bookjson.py`, wrapped in the envelope as bytes). Both give the same bytes; the
figure is what one answer costs at its peak, which bounds what several concurrent readers keep.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import tracemalloc
from pathlib import Path

import typer
from connexion.jsonifier import Jsonifier
from sqlmodel import SQLModel, create_engine

import storage.sandbox_tables  # noqa: F401  (registers the tables)
from generated.api import OrderBook
from sandbox.engine import OrderRequest, SandboxConfig, SandboxEngine, wire
from sandbox.market import OfflineMarket

USER = 1
_PREFIX, _SUFFIX = b'{"status": "success", "data": ', b', "mode": "analyze"}\n'


async def _models_answer(engine: SandboxEngine) -> bytes:
    book = OrderBook.model_validate(wire.orderbook_wire(await engine.orderbook(USER)))
    body = {"status": "success", "data": book.model_dump(exclude_none=True), "mode": "analyze"}
    return Jsonifier().dumps(body).encode("utf-8")  # starlette encodes connexion's text


async def _written_answer(engine: SandboxEngine) -> bytes:
    return await engine.orderbook_json(USER, (_PREFIX, _SUFFIX))


async def _peak(read, engine: SandboxEngine) -> tuple[int, bytes]:
    await read(engine)  # warm: statement caches, the connection pool
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        body = await read(engine)
        return tracemalloc.get_traced_memory()[1] - before, body
    finally:
        tracemalloc.stop()


async def _measure(orders: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        database = create_engine(f"sqlite:///{Path(folder) / 'books.db'}")
        SQLModel.metadata.create_all(database)
        engine = SandboxEngine(database, OfflineMarket(7), SandboxConfig(square_off_enabled=False))
        order = OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=1, strategy="bench")
        for _ in range(orders):
            await engine.place_order(USER, order)
        models_peak, models_body = await _peak(_models_answer, engine)
        written_peak, written_body = await _peak(_written_answer, engine)
        database.dispose()
    assert models_body == written_body, "the two paths answered different bytes"
    return {
        "orders": orders,
        "answer_bytes_per_order": round(len(written_body) / orders),
        "models_path_peak_bytes_per_order": round(models_peak / orders),
        "json_writer_peak_bytes_per_order": round(written_peak / orders),
    }


def main(orders: list[int] = typer.Option([1000, 4000], help="Book sizes to measure.")) -> None:
    print(json.dumps([asyncio.run(_measure(count)) for count in orders], indent=2))


if __name__ == "__main__":
    typer.run(main)
