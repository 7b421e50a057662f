"""IV chart, OI profile and straddle chart, checked against independent computations.

The unit tests value a market whose clock is pinned to a fixed instant; the endpoint tests use the
still client and recompute each answer from the `/api/v1/history` and `/api/v1/optionchain`
answers of the same market, never from a number written down here.
"""

from __future__ import annotations

import warnings
from datetime import datetime, time

import pytest

from gateway import optioncharts
from gateway.optionsanalytics import SnapshotCache
from sandbox.market import IST, InstrumentType, OfflineMarket

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # py_vollib now warns that it is vollib
    from py_vollib.black import black
    from py_vollib.black.greeks import analytical

PINNED = datetime(2026, 3, 4, 11, 0, tzinfo=IST)  # a Wednesday in session, six days before an expiry
EXPIRY_CLOSE = time(15, 30)


@pytest.fixture(scope="module")
def pinned_market() -> OfflineMarket:
    return OfflineMarket(7, start=PINNED)


def _years(candle_open: int, interval_seconds: int, now: float, expiry: datetime) -> float:
    """Years from a candle's close (its end, the 15:30 close or now, whichever is first) to expiry."""
    day = datetime.fromtimestamp(candle_open, IST).date()
    session_close = datetime.combine(day, EXPIRY_CLOSE, IST).timestamp()
    moment = min(candle_open + interval_seconds, session_close, now)
    return max((expiry.timestamp() - moment) / (365.0 * 86400.0), 0.0001)


def test_iv_chart_ivs_reprice_to_the_candle_premiums_and_greeks_match_py_vollib(pinned_market):
    body = optioncharts.iv_chart(
        pinned_market,
        SnapshotCache(),
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=None,
        interval="5m",
        days=2,
        interest_rate=6.5,
    )

    call, put = body["series"]
    assert (call["option_type"], put["option_type"]) == ("CE", "PE")
    assert call["symbol"] == body["ce_symbol"] and put["symbol"] == body["pe_symbol"]
    strike = body["atm_strike"]
    expiry = datetime.strptime(body["expiry_date"], "%d%b%y").replace(hour=15, minute=30, tzinfo=IST)
    now = pinned_market.now().timestamp()
    checked = 0
    for leg, flag in ((call, "c"), (put, "p")):
        previous = pinned_market.calendar.previous_trading_day(PINNED.date(), "NFO")  # Holi closes 3 March
        candles = pinned_market.history("NFO", leg["symbol"], "5m", previous, PINNED.date())
        closes = {candle.timestamp: candle.close for candle in candles}
        assert {point["time"] for point in leg["iv_data"]} <= set(closes)
        assert len({datetime.fromtimestamp(point["time"], IST).date() for point in leg["iv_data"]}) == 2
        for point, other in zip(leg["iv_data"], (put if flag == "c" else call)["iv_data"], strict=True):
            assert point["option_price"] == closes[point["time"]]
            call_price, put_price = (point, other) if flag == "c" else (other, point)
            forward = strike + call_price["option_price"] - put_price["option_price"]
            assert point["forward_price"] == pytest.approx(forward, abs=1e-4)
            if point["iv"] is None:
                continue
            years = _years(point["time"], 300, now, expiry)
            sigma = point["iv"] / 100.0
            args = (flag, forward, strike, years, 0.065, sigma)
            assert black(*args) == pytest.approx(point["option_price"], abs=1e-6)
            assert point["delta"] == pytest.approx(analytical.delta(*args), rel=1e-6)
            assert point["gamma"] == pytest.approx(analytical.gamma(*args), rel=1e-6)
            assert point["theta"] == pytest.approx(analytical.theta(*args), rel=1e-6)
            assert point["vega"] == pytest.approx(analytical.vega(*args), rel=1e-6)
            checked += 1
    assert checked > len(call["iv_data"])  # near the money nearly every candle has time value


def test_atm_strike_is_the_nearest_listed_and_the_lower_on_a_tie():
    import numpy as np

    strikes = np.array([100.0, 150.0, 200.0])

    picked = optioncharts.atm_strikes(strikes, np.array([90.0, 124.9, 125.0, 125.1, 175.0, 260.0]))

    assert picked.tolist() == [100.0, 100.0, 100.0, 150.0, 150.0, 200.0]


def test_closing_open_interest_is_the_daily_candle_s(pinned_market):
    expiry = pinned_market.master.expiries("NIFTY", "NFO", "options")[0]
    strikes = pinned_market.master.strikes("NIFTY", "NFO", expiry)[::7]
    legs = [
        pinned_market.master.option("NIFTY", "NFO", expiry, strike, kind)
        for strike in strikes
        for kind in (InstrumentType.CALL, InstrumentType.PUT)
    ]
    future = pinned_market.master.future("NIFTY", "NFO", pinned_market.master.expiries("NIFTY", "NFO", "futures")[0])
    legs = [leg for leg in legs if leg is not None] + [future]
    day = pinned_market.calendar.previous_trading_day(PINNED.date(), "NFO")

    found = pinned_market.closing_open_interest(legs, day)

    for leg, oi in zip(legs, found, strict=True):
        (candle,) = pinned_market.history(leg.exchange, leg.symbol, "D", day, day)
        assert oi == candle.oi


# -- the endpoints, on the still client ---------------------------------------------------------------


def _closes(ask, symbol: str, exchange: str) -> dict[int, float]:
    """15-minute closes by candle time over the pinned market's last fortnight, from the history endpoint."""
    candles = ask(
        "history", symbol=symbol, exchange=exchange, interval="15m", start_date="2026-11-18", end_date="2026-12-02"
    )
    return {row["timestamp"]: row["close"] for row in candles["data"]}


def test_straddle_is_call_plus_put_of_each_candle_s_atm_strike(
    ask, market, nifty_expiry, nifty_expiry_text, nifty_strikes
):
    body = ask(
        "straddle", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text, interval="15m", days=2
    )

    spot = _closes(ask, "NIFTY", "NSE_INDEX")
    assert len({datetime.fromtimestamp(point["time"], IST).date() for point in body["series"]}) == 2
    legs: dict[tuple[float, InstrumentType], dict[int, float]] = {}
    for point in body["series"]:
        assert point["spot"] == spot[point["time"]]
        nearest = min(nifty_strikes, key=lambda strike: (abs(strike - point["spot"]), strike))
        assert point["atm_strike"] == nearest
        for kind in (InstrumentType.CALL, InstrumentType.PUT):
            if (nearest, kind) not in legs:
                legs[nearest, kind] = _closes(
                    ask, market.master.option("NIFTY", "NFO", nifty_expiry, nearest, kind).symbol, "NFO"
                )
        call, put = legs[nearest, InstrumentType.CALL][point["time"]], legs[nearest, InstrumentType.PUT][point["time"]]
        assert (point["ce_price"], point["pe_price"]) == (call, put)
        assert point["straddle"] == pytest.approx(call + put, abs=1e-9)
        assert point["synthetic_future"] == pytest.approx(nearest + call - put, abs=1e-9)
    assert len(body["series"]) > 20


def test_oi_profile_matches_the_option_chain_and_the_previous_session(ask, market, nifty_expiry_text):
    fields = {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": nifty_expiry_text, "strike_count": 4}
    chain = ask("optionchain", **fields)

    body = ask("oiprofile", interval="5m", days=1, **fields)

    previous_day = market.calendar.previous_trading_day(market.now().date(), "NFO").isoformat()
    assert [row["strike"] for row in body["chain"]] == [row["strike"] for row in chain["chain"]]
    for row, leg in zip(body["chain"], chain["chain"], strict=True):
        for side in ("ce", "pe"):
            assert row[f"{side}_oi"] == leg[side]["oi"]
            daily = ask(
                "history",
                symbol=leg[side]["symbol"],
                exchange="NFO",
                interval="D",
                start_date=previous_day,
                end_date=previous_day,
            )
            assert row[f"{side}_oi_change"] == leg[side]["oi"] - daily["data"][-1]["oi"]
    assert body["total_ce_oi"] == sum(leg["ce"]["oi"] for leg in chain["chain"])
    assert body["total_pe_oi"] == sum(leg["pe"]["oi"] for leg in chain["chain"])
    assert body["total_ce_oi_change"] == sum(row["ce_oi_change"] for row in body["chain"])
    assert body["pcr_oi"] == round(body["total_pe_oi"] / body["total_ce_oi"], 4)
    today = market.now().date().isoformat()
    future = ask(
        "history", symbol=body["futures_symbol"], exchange="NFO", interval="5m", start_date=today, end_date=today
    )
    assert body["candles"] == future["data"]
    assert body["futures_ltp"] == future["data"][-1]["close"]


def test_chart_answers_are_cached_per_request(ask, app, nifty_expiry_text):
    cache = app.services.analytics_cache
    fields = {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": nifty_expiry_text}
    before = cache.builds

    first = ask("ivchart", interval="15m", **fields)
    again = ask("ivchart", interval="15m", **fields)
    ask("ivchart", interval="30m", **fields)

    assert first == again
    assert cache.builds == before + 2


@pytest.mark.parametrize("path", ["ivchart", "straddle", "oiprofile"])
def test_unknown_underlying_is_404(ask, path):
    assert ask(path, 404, underlying="NOSUCH", exchange="NSE_INDEX")["code"] == "SYMBOL_NOT_FOUND"


@pytest.mark.parametrize("path", ["ivchart", "straddle", "oiprofile"])
def test_expiry_not_listed_is_404(ask, path, nifty_expiry):
    unlisted = nifty_expiry.replace(year=nifty_expiry.year + 5).strftime("%d%b%y").upper()

    assert ask(path, 404, underlying="NIFTY", exchange="NSE_INDEX", expiry_date=unlisted)["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "fields", "field"),
    [
        ("ivchart", {"days": 6}, "days"),
        ("ivchart", {"interval": "D"}, "interval"),
        ("straddle", {"interval": "7m"}, "interval"),
        ("straddle", {"days": 0}, "days"),
        ("oiprofile", {"strike_count": 51}, "strike_count"),
        ("oiprofile", {"days": 9}, "days"),
        ("ivchart", {"expiry_date": "31-02-26"}, "expiry_date"),
        ("straddle", {"interest_rate": 101}, "interest_rate"),
        ("oiprofile", {"surprise": 1}, None),
    ],
)
def test_bad_inputs_are_400(ask, path, fields, field):
    body = ask(path, 400, underlying="NIFTY", exchange="NSE_INDEX", **fields)

    assert body["status"] == "error"
    if field is not None:
        assert field in body.get("errors", {}) or field in body["message"]
