"""Security benchmark: the per-request cost of brokergate's edge middleware, measured on `ping`.

Two servers in the same run, each in its own process: the real gateway (traffic log, metrics, browser
headers, ban check, rate limits by address and by key), and the same gateway with those layers
replaced by nothing. Rate limits are raised so that the load generator measures cost, not refusals.
"""

from __future__ import annotations

import tempfile

from tools.bench_http import HOST, bench_database, measure
from tools.loadgen import post_request

GATEWAY = """
import sys, uvicorn
from gateway.app import create_app
from gateway.settings import Settings
uvicorn.run(create_app(Settings(_env_file=None)), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

# The same app with every perimeter middleware turned into the identity: `lambda app: app` adds no layer.
WITHOUT_PERIMETER = """
import sys, uvicorn
from gateway.perimeter import Perimeter
Perimeter.outer_middlewares = lambda self: []
for name in ("ban_middleware", "client_limit_middleware", "key_limit_middleware"):
    setattr(Perimeter, name, lambda self: (lambda app: app))
from gateway.app import create_app
from gateway.settings import Settings
uvicorn.run(create_app(Settings(_env_file=None)), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def run(seconds: float = 5.0) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)
        results = measure(
            {"ping_without_perimeter": WITHOUT_PERIMETER, "ping_with_perimeter": GATEWAY},
            environment,
            lambda port: post_request(HOST, port, "/api/v1/ping", {"apikey": api_key}),
            seconds,
        )
    with_rate = results["ping_with_perimeter"]["requests_per_second"]
    without_rate = results["ping_without_perimeter"]["requests_per_second"]
    results["perimeter_microseconds_per_request"] = round((1 / with_rate - 1 / without_rate) * 1_000_000, 1)
    results["with_to_without_ratio"] = round(with_rate / without_rate, 3)
    return results
