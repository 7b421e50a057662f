"""Webhook benchmark: a TradingView alert to its acknowledgement, beside `placeorder`, in the same run.

Both place one sandbox MARKET order per request; the webhook adds the token lookup, the stored
alert and its outcome. The duplicate window is off, so every identical delivery is a new alert.
"""

from __future__ import annotations

import tempfile

from tools.bench_http import BROKERGATE, HOST, bench_database, measure
from tools.loadgen import post_request


def _strategy_url(environment: dict[str, str], api_key: str) -> str:
    from gateway.accounts import Principal
    from gateway.services import Services
    from gateway.settings import Settings
    from generated.api import WebhookStrategyCreateRequest

    settings = Settings(
        app_key=environment["APP_KEY"], api_key_pepper=environment["API_KEY_PEPPER"],
        database_url=environment["DATABASE_URL"], _env_file=None,
    )  # fmt: skip
    services = Services.build(settings)
    user = services.accounts.authenticate(api_key)
    request = WebhookStrategyCreateRequest(
        name="bench",
        platform="tradingview",
        is_intraday=False,
        symbols=[{"symbol": "SBIN", "exchange": "NSE", "quantity": 1}],
    )
    created = services.strategies.create(Principal(user.user_id, user.username), request)
    return "/" + created["webhook_url"].split("/", 3)[3]


def run(seconds: float = 5.0) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)
        environment |= {"WEBHOOK_RATE_LIMIT": "10000000 per second", "WEBHOOK_DUPLICATE_SECONDS": "0"}
        path = _strategy_url(environment, api_key)
        order = {"apikey": api_key, "strategy": "bench", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                 "quantity": "1", "pricetype": "MARKET", "product": "MIS"}  # fmt: skip
        requests = {
            "placeorder": lambda port: post_request(HOST, port, "/api/v1/placeorder", order),
            "webhook": lambda port: post_request(HOST, port, path, {"symbol": "SBIN", "action": "buy"}),
        }
        for name, request_for in requests.items():
            for connections, label in ((1, "one_connection"), (16, "sixteen_connections")):
                measured = measure({label: BROKERGATE}, environment, request_for, seconds, connections=connections)
                results[f"{name}_{label}"] = measured[label]
    for label in ("one_connection", "sixteen_connections"):
        results[f"webhook_extra_p50_ms_{label}"] = round(
            results[f"webhook_{label}"]["p50_ms"] - results[f"placeorder_{label}"]["p50_ms"], 3
        )
    return results
