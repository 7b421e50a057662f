"""POST /optionchain: nearest expiry, trimming, labels, parity and Greeks that match py_vollib."""

from datetime import datetime

import numpy as np
import pytest
from py_vollib.black.greeks import analytical
from py_vollib.black.implied_volatility import implied_volatility

from gateway import options
from sandbox.market import IST, OfflineMarket, black76

SECONDS_PER_YEAR = 365.0 * 86400.0


def test_chain_without_expiry_uses_the_nearest_expiry(ask, nifty_expiry_text, nifty_strikes, nifty_atm):
    body = ask("optionchain", underlying="NIFTY", exchange="NSE_INDEX")

    assert body["expiry_date"] == nifty_expiry_text
    assert [row["strike"] for row in body["chain"]] == nifty_strikes
    assert body["atm_strike"] == nifty_atm
    assert (body["underlying_symbol"], body["underlying_exchange"]) == ("NIFTY", "NSE_INDEX")
    assert body["quotes_included"] is True and body["greeks_included"] is False and body["forward_price"] is None


def test_strike_count_keeps_that_many_strikes_each_side_with_labels(ask, nifty_expiry_text, nifty_strikes, nifty_atm):
    at = nifty_strikes.index(nifty_atm)

    chain = ask("optionchain", underlying="NIFTY", exchange="NFO", expiry_date=nifty_expiry_text, strike_count="3")[
        "chain"
    ]

    assert [row["strike"] for row in chain] == nifty_strikes[at - 3 : at + 4]
    assert [row["ce"]["label"] for row in chain] == ["ITM3", "ITM2", "ITM1", "ATM", "OTM1", "OTM2", "OTM3"]
    assert [row["pe"]["label"] for row in chain] == ["OTM3", "OTM2", "OTM1", "ATM", "ITM1", "ITM2", "ITM3"]


def test_labels_agree_with_optionsymbol_offsets(ask, nifty_expiry_text):
    chain = ask("optionchain", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text, strike_count=4)[
        "chain"
    ]

    for row in chain:
        for side, option_type in (("ce", "CE"), ("pe", "PE")):
            leg = row[side]
            resolved = ask(
                "optionsymbol",
                underlying="NIFTY",
                exchange="NSE_INDEX",
                expiry_date=nifty_expiry_text,
                offset=leg["label"],
                option_type=option_type,
            )
            assert resolved["symbol"] == leg["symbol"]


def test_legs_carry_quote_fields_consistent_with_the_market(ask, market, nifty_expiry_text):
    chain = ask("optionchain", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text, strike_count=1)[
        "chain"
    ]

    leg = chain[1]["ce"]
    quote = market.quote("NFO", leg["symbol"])
    assert (leg["ltp"], leg["bid"], leg["ask"], leg["oi"]) == (quote.ltp, quote.bid, quote.ask, quote.oi)
    assert leg["bid_qty"] > 0 and leg["ask_qty"] > 0
    assert (leg["lotsize"], leg["tick_size"]) == (65, 0.05)


def test_chain_obeys_put_call_parity(ask, nifty_expiry_text):
    body = ask("optionchain", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text)
    strikes = np.array([row["strike"] for row in body["chain"]])
    difference = np.array([row["ce"]["ltp"] - row["pe"]["ltp"] for row in body["chain"]])

    # C - P = D (F - K): a straight line in K whose slope is minus the discount factor.
    slope, intercept = np.polyfit(strikes, difference, 1)
    residuals = difference - (slope * strikes + intercept)

    discount = -slope
    assert 0.98 < discount <= 1.0
    assert np.abs(residuals).max() <= 0.1  # two ticks: each price is rounded to 0.05
    assert intercept / discount == pytest.approx(body["underlying_ltp"], rel=0.01)


def test_forward_is_atm_strike_plus_call_minus_put(ask, nifty_expiry_text):
    body = ask(
        "optionchain",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        strike_count=2,
        with_greeks=True,
    )
    atm = next(row for row in body["chain"] if row["strike"] == body["atm_strike"])

    assert body["greeks_included"] is True
    assert body["forward_price"] == round(body["atm_strike"] + atm["ce"]["ltp"] - atm["pe"]["ltp"], 2)


@pytest.mark.parametrize("rate", [0, 6.5])
def test_chain_greeks_match_py_vollib(ask, nifty_expiry_text, rate):
    body = ask(
        "optionchain",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        with_greeks="true",
        interest_rate=rate,
    )
    forward, r = body["forward_price"], rate / 100.0
    years = (body["expiry_ts"] - body["server_ts"]) / SECONDS_PER_YEAR
    compared = 0

    for row in body["chain"]:
        for side, flag in (("ce", "c"), ("pe", "p")):
            leg = row[side]
            intrinsic = max(forward - row["strike"], 0) if flag == "c" else max(row["strike"] - forward, 0)
            if leg["ltp"] - intrinsic < 1.0:  # too little time value to pin the volatility down to 2 decimals
                continue
            sigma = implied_volatility(leg["ltp"], forward, row["strike"], r, years, flag)
            assert leg["implied_volatility"] == pytest.approx(sigma * 100, abs=0.011)
            assert leg["delta"] == pytest.approx(
                analytical.delta(flag, forward, row["strike"], years, r, sigma), abs=2e-4
            )
            assert leg["gamma"] == pytest.approx(
                analytical.gamma(flag, forward, row["strike"], years, r, sigma), rel=1e-3, abs=2e-6
            )
            assert leg["theta"] == pytest.approx(
                analytical.theta(flag, forward, row["strike"], years, r, sigma), rel=1e-3
            )
            assert leg["vega"] == pytest.approx(
                analytical.vega(flag, forward, row["strike"], years, r, sigma), rel=1e-3
            )
            compared += 1
    assert compared >= 40


def test_whole_chain_is_solved_in_one_vectorised_call(ask, monkeypatch, nifty_expiry_text):
    calls = []
    solve = black76.implied_volatility

    def counting(option_price, *rest, **named):
        calls.append(np.size(option_price))
        return solve(option_price, *rest, **named)

    monkeypatch.setattr(options.black76, "implied_volatility", counting)

    body = ask("optionchain", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text, with_greeks=True)

    solved = sum(1 for row in body["chain"] for side in ("ce", "pe") if row[side]["implied_volatility"] > 0)
    assert len(calls) == 1
    assert calls[0] >= solved > 0


def test_mcx_chain_is_priced_from_the_future(ask, market):
    body = ask("optionchain", underlying="CRUDEOIL", exchange="MCX", strike_count=2, with_greeks=True)

    assert body["underlying_exchange"] == "MCX"
    assert body["underlying_symbol"].startswith("CRUDEOIL") and body["underlying_symbol"].endswith("FUT")
    assert body["underlying_ltp"] == market.quote("MCX", body["underlying_symbol"]).ltp
    assert all(row["ce"]["implied_volatility"] > 0 for row in body["chain"])


def test_expiry_instants_follow_each_exchange(ask):
    for underlying, exchange, clock in [
        ("NIFTY", "NSE_INDEX", "15:30"),
        ("SENSEX", "BSE_INDEX", "15:30"),
        ("USDINR", "CDS", "12:30"),
        ("GOLD", "MCX", "23:30"),
    ]:
        body = ask("optionchain", underlying=underlying, exchange=exchange, strike_count=1)
        moment = datetime.fromtimestamp(body["expiry_ts"], IST)
        assert moment.strftime("%d%b%y").upper() == body["expiry_date"]
        assert moment.strftime("%H:%M") == clock


def test_unknown_underlying_chain_is_404(ask):
    assert ask("optionchain", 404, underlying="NOSUCH", exchange="NSE_INDEX")["code"] == "SYMBOL_NOT_FOUND"


@pytest.mark.parametrize(
    ("field", "value"), [("strike_count", 0), ("strike_count", 101), ("interest_rate", 101), ("with_greeks", "maybe")]
)
def test_out_of_range_fields_are_400(ask, field, value):
    body = ask("optionchain", 400, underlying="NIFTY", exchange="NSE_INDEX", **{field: value})

    assert list(body["errors"]) == [field]


def test_unlisted_chain_expiry_is_404(ask):
    assert (
        ask("optionchain", 404, underlying="NIFTY", exchange="NSE_INDEX", expiry_date="01JAN30")["code"] == "NOT_FOUND"
    )


def test_options_endpoints_need_an_api_key(still_client):
    response = still_client.post("/api/v1/optionchain", json={"underlying": "NIFTY", "exchange": "NSE_INDEX"})

    assert response.status_code == 401
    assert response.json()["code"] == "MISSING_API_KEY"


def test_nearest_expiry_skips_one_that_expired_earlier_today():
    # 1 Dec 2026 is a Tuesday: its NIFTY weekly stopped at 15:30 but stays listed until midnight.
    market = OfflineMarket(7, start=datetime(2026, 12, 1, 16, 0, tzinfo=IST))

    body = options.option_chain(market, underlying="NIFTY", exchange="NFO", strike_count=1, with_greeks=True)

    assert body["expiry_date"] == "08DEC26"
    assert all(row["ce"]["implied_volatility"] > 0 for row in body["chain"])
