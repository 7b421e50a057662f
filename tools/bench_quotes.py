"""Market-data benchmark: `quotes` for one symbol and `multiquotes` for 50, through the whole HTTP API."""

from __future__ import annotations

import tempfile

from sandbox.market import OfflineMarket
from tools.bench_http import BROKERGATE, HOST, bench_database, measure
from tools.loadgen import post_request

SYMBOLS = 50


def run(seconds: float = 4.0) -> dict:
    equities = [instrument.symbol for instrument in OfflineMarket(7).master.all("NSE")][:SYMBOLS]
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)
        one = {"apikey": api_key, "symbol": "SBIN", "exchange": "NSE"}
        many = {"apikey": api_key, "symbols": [{"symbol": symbol, "exchange": "NSE"} for symbol in equities]}
        quotes = measure(
            {"quotes": BROKERGATE},
            environment,
            lambda port: post_request(HOST, port, "/api/v1/quotes", one),
            seconds,
            connections=1,
        )
        multi = measure(
            {f"multiquotes_{len(equities)}": BROKERGATE},
            environment,
            lambda port: post_request(HOST, port, "/api/v1/multiquotes", many),
            seconds,
            connections=1,
        )
    return quotes | multi
