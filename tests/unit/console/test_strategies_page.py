"""The Strategies page: create a strategy, map a symbol, see its URL and alert builder, post an alert,
and find the alert with its outcome on the page."""

from __future__ import annotations

import html
import re

from tests.security.conftest import csrf_of, sign_up


def test_a_strategy_made_on_the_page_takes_an_alert_that_the_page_then_shows(app, client):
    sign_up(client)
    token = csrf_of(client.get("/strategies").text)

    created = client.post(
        "/strategies/create",
        data={"csrf_token": token, "name": "Console", "platform": "tradingview", "trading_mode": "LONG",
              "product": "MIS", "start_time": "09:15", "end_time": "15:00", "squareoff_time": "15:15"},
    )  # fmt: skip
    strategy_id = re.search(r'id="strategy-(\d+)"', created.text)[1]
    mapped = client.post(
        "/strategies/map",
        data={"csrf_token": token, "strategy_id": strategy_id, "symbol": "sbin", "exchange": "NSE", "quantity": "4"},
    )
    url = html.unescape(re.search(r'<code class="webhook-url">([^<]+)</code>', mapped.text)[1])
    alert = client.post("/" + url.split("/", 3)[3], json={"symbol": "SBIN", "action": "BUY"})
    refused = client.post("/strategies/create", data={"csrf_token": token, "name": "!!", "platform": "tradingview"})
    page = client.get("/strategies").text

    assert created.status_code == 200 and "Console" in created.text
    assert "<td>SBIN</td>" in mapped.text and "{{strategy.order.action}}" in html.unescape(mapped.text)
    assert alert.status_code == 200, alert.text
    assert refused.status_code == 400
    assert "placed" in page and "BUY SBIN" in page
