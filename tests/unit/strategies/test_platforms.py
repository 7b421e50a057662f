"""The alert builder's output posted back as each platform posts it, Chartink scans, the square-off, and
the webhook token kept out of every log."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from gateway.logs import RedactSecrets


def _substitute(template: str, action: str, position_size: int) -> dict:
    """What TradingView sends: the alert message with its placeholders filled in."""
    text = template.replace("{{strategy.order.action}}", action).replace(
        "{{strategy.position_size}}", str(position_size)
    )
    return json.loads(text)


def test_the_tradingview_strategy_alert_posted_back_places_the_orders(strategy, trader, deliver, positions):
    created = strategy(trading_mode="BOTH")
    built = trader("strategies/alertbuilder", strategy_id=created["strategy_id"], symbol="SBIN", exchange="NSE")["data"]

    assert "{{strategy.order.action}}" in built["tradingview"] and "{{strategy.position_size}}" in built["tradingview"]
    deliver(built["webhook_url"], _substitute(built["tradingview"], "buy", 30))
    assert positions() == {("SBIN", "MIS"): 30}
    deliver(built["webhook_url"], _substitute(built["tradingview"], "sell", 0))
    assert positions() == {}


def test_line_gocharting_and_amibroker_alerts_place_the_orders(strategy, trader, deliver, positions):
    created = strategy(platform="gocharting", symbols=[{"symbol": "INFY", "exchange": "NSE", "quantity": 7}])
    built = trader(
        "strategies/alertbuilder", strategy_id=created["strategy_id"], symbol="INFY", exchange="NSE", mode="line", action="BUY"
    )["data"]  # fmt: skip

    assert json.loads(built["tradingview"]) == {"symbol": "INFY", "action": "BUY"}
    assert deliver(built["webhook_url"], json.loads(built["gocharting"])).status_code == 200
    assert positions() == {("INFY", "MIS"): 7}
    assert "InternetPostRequest(WebhookUrl, body)" in built["amibroker"] and built["webhook_url"] in built["amibroker"]
    # What the AFL's SendAlert("SELL", 0) posts:
    assert deliver(built["webhook_url"], {"symbol": "INFY", "action": "SELL"}).status_code == 200
    assert positions() == {}


def _chartink(scan_name: str, stocks: str) -> dict:
    return {
        "stocks": stocks,
        "trigger_prices": ",".join("100.5" for _ in stocks.split(",")),
        "triggered_at": "2:34 pm",
        "scan_name": scan_name,
        "scan_url": "my-scan",
        "alert_name": f"Alert for {scan_name}",
        "webhook_url": "https://example.com/chartink/webhook/x",
    }


def test_a_chartink_scan_places_one_order_per_mapped_stock(strategy, deliver, positions):
    mapped = [
        {"symbol": "SBIN", "exchange": "NSE", "quantity": 5},
        {"symbol": "INFY", "exchange": "NSE", "quantity": 2},
    ]
    created = strategy(name="Scanner", platform="chartink", trading_mode="BOTH", symbols=mapped)
    url = created["webhook_url"]
    assert "/chartink/webhook/" in url

    bought = deliver(url, _chartink("Breakout Buy", "SBIN,INFY,TCS"))
    assert positions() == {("SBIN", "MIS"): 5, ("INFY", "MIS"): 2}
    sold = deliver(url, _chartink("Breakdown Sell", "SBIN"))
    shorted = deliver(url, _chartink("Short Sell", "INFY"))
    covered = deliver(url, _chartink("Short Cover", "INFY"))

    assert bought.json()["skipped"] == ["TCS"] and len(bought.json()["orders"]) == 2
    assert sold.status_code == shorted.status_code == covered.status_code == 200
    assert positions() == {}  # INFY: +2, then "Short Sell" shorts 2 more (0), then "Short Cover" closes nothing left


def test_a_chartink_scan_without_one_action_word_is_refused(strategy, deliver):
    created = strategy(name="Scanner", platform="chartink", trading_mode="BOTH")

    nothing = deliver(created["webhook_url"], _chartink("Momentum stocks", "SBIN"))
    both = deliver(created["webhook_url"], _chartink("Buy or Sell", "SBIN"))
    buyers = deliver(created["webhook_url"], _chartink("Buyers", "SBIN"))  # a word, not a substring
    wrong_door = deliver(
        created["webhook_url"].replace("/chartink/", "/strategy/"), {"symbol": "SBIN", "action": "BUY"}
    )

    assert [r.status_code for r in (nothing, both, buyers, wrong_door)] == [400, 400, 400, 400]
    assert "BUY, SELL, SHORT or COVER" in nothing.json()["message"]


def test_square_off_closes_the_open_positions_once_a_day_and_runs_at_start_when_missed(
    strategy, deliver, positions, app, clock, trader
):
    created = strategy(is_intraday=True, start_time="09:20", end_time="15:00", squareoff_time="15:15")
    deliver(created["webhook_url"], {"symbol": "SBIN", "action": "BUY"})
    assert positions() == {("SBIN", "MIS"): 10}
    service = app.services.strategies
    assert app.services.scheduler.next_run(f"strategy-squareoff-{created['strategy_id']}") is not None

    clock.set(15, 20)  # the server "was down" at 15:15: start-up finds the square-off missed
    asyncio.run(service.start())
    assert positions() == {}
    deliver(created["webhook_url"], {"symbol": "SBIN", "action": "BUY"})  # refused: past the window
    asyncio.run(service.square_off(created["strategy_id"]))  # the job firing late: once a day only

    history = trader("strategies/alerts", strategy_id=created["strategy_id"])["data"]
    assert [a["kind"] for a in history if a["status"] != "refused"] == ["squareoff", "alert"]


def test_the_webhook_token_never_reaches_the_traffic_log_or_a_log_line(strategy, deliver, app, caplog):
    created = strategy()
    token = created["webhook_url"].rsplit("/", 1)[1]
    caplog.set_level(logging.INFO)

    deliver(created["webhook_url"], {"symbol": "NOPE", "action": "BUY"})
    deliver(created["webhook_url"], {"symbol": "SBIN", "action": "BUY"})
    asyncio.run(app.perimeter.traffic.flush())

    paths = [row["path"] for row in app.perimeter.traffic.recent(50)]
    assert "/strategy/webhook/***" in paths
    assert not any(token in path for path in paths)
    redact = RedactSecrets()
    assert not any(token in (redact.filter(record) and record.getMessage()) for record in caplog.records)
    line = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '1.2.3.4 - "POST %s HTTP/1.1" 200', (created["webhook_url"],), None
    )
    redact.filter(line)
    assert token not in line.getMessage()
    audit = json.dumps(app.services.orders._engine.dialect.name)  # the audit stores the request, never the URL
    assert token not in audit


@pytest.mark.parametrize("body", [[1, 2], "text", {"symbol": "SBIN"}])
def test_malformed_bodies_are_400(strategy, deliver, body):
    created = strategy()

    assert deliver(created["webhook_url"], body).status_code == 400


def test_a_chartink_alert_echoing_its_webhook_url_is_stored_without_the_token(strategy, deliver, trader, app):
    created = strategy(name="Echo", platform="chartink", trading_mode="BOTH")
    token = created["webhook_url"].rsplit("/", 1)[1]

    echoed = {**_chartink("Breakout Buy", "SBIN"), "webhook_url": created["webhook_url"]}
    assert deliver(created["webhook_url"], echoed).status_code == 200

    history = trader("strategies/alerts", strategy_id=created["strategy_id"])["data"]
    assert history and token not in json.dumps(history)
    with app.services.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT payload FROM webhook_alerts").scalars().all()
    assert stored and not [payload for payload in stored if token in payload]
