"""Quotes, depth, candles and the symbol master, each with a success and a failure."""

import pytest


def test_quote_is_consistent(trader):
    data = trader("quotes", symbol="SBIN", exchange="NSE")["data"]

    assert data["bid"] <= data["ltp"] <= data["ask"]
    assert data["low"] <= data["ltp"] <= data["high"]


def test_quote_of_unknown_symbol_is_404(trader):
    assert trader("quotes", expect=404, symbol="NOPE", exchange="NSE")["code"] == "SYMBOL_NOT_FOUND"


def test_multiquotes_keep_request_order_and_mark_unknowns(trader):
    results = trader(
        "multiquotes",
        symbols=[
            {"symbol": "NOPE", "exchange": "NSE"},
            {"symbol": "SBIN", "exchange": "NSE"},
            {"symbol": "NIFTY", "exchange": "NSE_INDEX"},
        ],
    )["results"]

    assert [r["symbol"] for r in results] == ["NOPE", "SBIN", "NIFTY"]
    assert "error" in results[0] and "data" in results[1] and results[2]["data"]["ltp"] > 0


def test_multiquotes_needs_at_least_one_symbol(trader):
    assert trader("multiquotes", expect=400, symbols=[])["code"] == "VALIDATION_FAILED"


def test_depth_has_five_ordered_levels(trader):
    data = trader("depth", symbol="RELIANCE", exchange="NSE")["data"]

    assert len(data["bids"]) == len(data["asks"]) == 5
    assert [level["price"] for level in data["bids"]] == sorted(
        (level["price"] for level in data["bids"]), reverse=True
    )
    assert data["bids"][0]["price"] < data["asks"][0]["price"]


def test_depth_of_unknown_exchange_is_400(trader):
    assert trader("depth", expect=400, symbol="SBIN", exchange="XYZ")["errors"]["exchange"]


def test_history_daily_candles_end_at_the_live_price(trader):
    candles = trader(
        "history", symbol="SBIN", exchange="NSE", interval="D", start_date="2026-10-01", end_date="2026-12-31"
    )["data"]
    ltp = trader("quotes", symbol="SBIN", exchange="NSE")["data"]["ltp"]

    assert candles == sorted(candles, key=lambda c: c["timestamp"])
    assert all(c["low"] <= c["open"] <= c["high"] and c["low"] <= c["close"] <= c["high"] for c in candles)
    assert candles[-1]["close"] == pytest.approx(ltp, rel=0.01)


def test_history_rejects_an_interval_the_market_lacks_and_a_bad_date(trader):
    assert (
        trader(
            "history",
            expect=422,
            symbol="SBIN",
            exchange="NSE",
            interval="1s",
            start_date="2026-11-01",
            end_date="2026-11-02",
        )["code"]
        == "NOT_SUPPORTED"
    )
    assert (
        trader(
            "history",
            expect=400,
            symbol="SBIN",
            exchange="NSE",
            interval="D",
            start_date="01-11-2026",
            end_date="2026-11-02",
        )["code"]
        == "VALIDATION_FAILED"
    )


def test_intervals_grouped(trader):
    data = trader("intervals")["data"]

    assert "1m" in data["minutes"] and data["days"] == ["D"]


def test_intervals_without_key_is_401(client):
    assert client.post("/api/v1/intervals", json={}).status_code == 401


def test_symbol_details_and_unknown_symbol(trader):
    data = trader("symbol", symbol="NIFTY", exchange="NSE_INDEX")["data"]

    assert data["instrumenttype"] == "INDEX"
    assert trader("symbol", expect=404, symbol="NOPE", exchange="NSE")["code"] == "SYMBOL_NOT_FOUND"


def test_search_needs_every_term_and_rejects_blank(trader):
    found = trader("search", query="nifty ce", exchange="NFO")["data"]

    assert found and all("NIFTY" in row["symbol"] and row["symbol"].endswith("CE") for row in found)
    assert trader("search", expect=400, query="  ")["code"] == "VALIDATION_FAILED"


def test_expiry_lists_future_dates_in_order(trader):
    data = trader("expiry", symbol="NIFTY", exchange="NFO", instrumenttype="futures")["data"]

    assert len(data) >= 1 and all(len(day) == 9 for day in data)
    assert (
        trader("expiry", expect=400, symbol="NIFTY", exchange="NSE", instrumenttype="futures")["code"]
        == "VALIDATION_FAILED"
    )


def test_instruments_json_and_csv(client, api_key):
    as_json = client.get("/api/v1/instruments", params={"apikey": api_key, "exchange": "NSE_INDEX"}).json()
    as_csv = client.get("/api/v1/instruments", params={"apikey": api_key, "exchange": "NSE_INDEX", "format": "csv"})

    assert {row["symbol"] for row in as_json["data"]} >= {"NIFTY", "BANKNIFTY"}
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0].startswith("symbol,brsymbol,name,exchange")
    assert client.get("/api/v1/instruments", params={"apikey": api_key, "exchange": "MOON"}).status_code == 400


def test_margin_for_a_future_is_a_tenth_of_notional(app, trader):
    future = next(i for i in app.services.market.master.all("NFO") if i.symbol.endswith("FUT") and i.name == "NIFTY")
    ltp = app.services.market.quote("NFO", future.symbol).ltp

    data = trader(
        "margin",
        positions=[
            {
                "symbol": future.symbol,
                "exchange": "NFO",
                "action": "BUY",
                "quantity": str(future.lot_size),
                "product": "NRML",
                "pricetype": "MARKET",
            }
        ],
    )["data"]

    assert data["total_margin_required"] == pytest.approx(ltp * future.lot_size / 10, rel=0.01)
    assert trader("margin", expect=400, positions=[])["code"] == "VALIDATION_FAILED"
