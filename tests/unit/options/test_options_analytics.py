"""GEX, IV smile, OI tracker with max pain and the volatility surface, checked against independent sums.

The unit tests value a market whose clock is pinned to a fixed instant, so every number is the same
at any hour; the endpoint tests use the still client and take their expectations from its own
answers and from the same market, never from a price written down here.
"""

from __future__ import annotations

import warnings
from datetime import datetime

import pytest

from gateway import optionsanalytics
from gateway.optionsanalytics import SnapshotCache, build_snapshot
from sandbox.market import IST, OfflineMarket, compact_expiry

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # py_vollib now warns that it is vollib
    from py_vollib.black import black
    from py_vollib.black.greeks import analytical
    from py_vollib.black.implied_volatility import implied_volatility

PINNED = datetime(2026, 3, 4, 11, 0, tzinfo=IST)  # a Wednesday in session, six days before an expiry


@pytest.fixture(scope="module")
def pinned_market() -> OfflineMarket:
    return OfflineMarket(7, start=PINNED)


def _snapshot(market, *, rate: float | None = None, expiry: str | None = None, strikes: int | None = None):
    return build_snapshot(
        market, underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, strike_count=strikes, interest_rate=rate
    )


def _vollib_sigma(price, forward, strike, years, rate, flag) -> float | None:
    try:
        return implied_volatility(price, forward, strike, rate, years, flag)
    except Exception:  # py_vollib raises its own exceptions below intrinsic or above the ceiling
        return None


def test_gex_is_py_vollib_gamma_times_open_interest(pinned_market):
    snapshot = _snapshot(pinned_market, rate=6.5)

    body = optionsanalytics.gamma_exposure(snapshot)

    checked = 0
    for index, row in enumerate(body["chain"]):
        for side, legs, flag in (("ce", snapshot.calls, "c"), ("pe", snapshot.puts, "p")):
            args = (snapshot.forward, row["strike"], snapshot.years, 0.065, flag)
            sigma = _vollib_sigma(float(legs.price[index]), *args)
            if sigma is None or not legs.greeks.has_time_value[index]:
                assert row[f"{side}_gex"] == 0.0
                continue
            gamma = analytical.gamma(flag, snapshot.forward, row["strike"], snapshot.years, 0.065, sigma)
            lots = row[f"{side}_oi"] / snapshot.lot_size
            assert row[f"{side}_gex"] == pytest.approx(gamma * lots * snapshot.lot_size, rel=1e-6)
            checked += 1
        assert row["net_gex"] == pytest.approx(row["ce_gex"] - row["pe_gex"])
    assert checked > len(body["chain"])  # most legs carry time value on this snapshot
    assert body["total_net_gex"] == pytest.approx(sum(row["net_gex"] for row in body["chain"]))
    assert body["total_ce_gex"] == pytest.approx(sum(row["ce_gex"] for row in body["chain"]))
    put_oi, call_oi = sum(row["pe_oi"] for row in body["chain"]), sum(row["ce_oi"] for row in body["chain"])
    assert body["pcr_oi"] == round(put_oi / call_oi, 4)


def _net_gex_with_vollib(snapshot, forward: float) -> float:
    """Net GEX if the forward stood at `forward`, each leg keeping the IV py_vollib solves today."""
    total = 0.0
    for index, strike in enumerate(snapshot.strikes):
        for legs, flag, sign in ((snapshot.calls, "c", 1.0), (snapshot.puts, "p", -1.0)):
            if not legs.greeks.has_time_value[index]:
                continue
            sigma = _vollib_sigma(float(legs.price[index]), snapshot.forward, strike, snapshot.years, 0.0, flag)
            total += sign * analytical.gamma(flag, forward, strike, snapshot.years, 0.0, sigma) * legs.oi[index]
    return total


def test_zero_gamma_level_is_where_net_gex_changes_sign(pinned_market):
    snapshot = _snapshot(pinned_market)

    level = optionsanalytics.gamma_exposure(snapshot)["zero_gamma_level"]

    assert level is not None and snapshot.strikes[0] < level < snapshot.strikes[-1]
    below, above = _net_gex_with_vollib(snapshot, level - 1.0), _net_gex_with_vollib(snapshot, level + 1.0)
    assert below * above < 0
    scale = max(abs(below), abs(above))
    assert abs(_net_gex_with_vollib(snapshot, level)) < 1e-3 * scale


def test_smile_ivs_reprice_to_the_input_premiums(pinned_market):
    snapshot = _snapshot(pinned_market, rate=6.5)

    body = optionsanalytics.iv_smile(snapshot)

    repriced = 0
    for row in body["chain"]:
        for side, flag in (("ce", "c"), ("pe", "p")):
            if row[f"{side}_iv"] is None:
                continue
            model = black(flag, snapshot.forward, row["strike"], snapshot.years, 0.065, row[f"{side}_iv"] / 100.0)
            assert model == pytest.approx(row[f"{side}_ltp"], abs=1e-6)
            repriced += 1
    assert repriced >= len(body["chain"])
    assert body["interest_rate"] == pytest.approx(6.5)


def test_atm_iv_is_the_mean_of_the_atm_legs_and_skew_uses_the_25_delta_wings(pinned_market):
    snapshot = _snapshot(pinned_market)

    body = optionsanalytics.iv_smile(snapshot)

    atm = next(row for row in body["chain"] if row["strike"] == body["atm_strike"])
    assert body["atm_iv"] == pytest.approx((atm["ce_iv"] + atm["pe_iv"]) / 2)
    # Each wing's IV lies between the IVs of the two listed legs whose deltas bracket +-0.25.
    for side, target, wing in (("pe", -0.25, "put_25d_iv"), ("ce", 0.25, "call_25d_iv")):
        legs = [row for row in body["chain"] if row[f"{side}_iv"] is not None]
        lower = max((row for row in legs if row[f"{side}_delta"] <= target), key=lambda row: row[f"{side}_delta"])
        upper = min((row for row in legs if row[f"{side}_delta"] >= target), key=lambda row: row[f"{side}_delta"])
        low, high = sorted((lower[f"{side}_iv"], upper[f"{side}_iv"]))
        assert low <= body[wing] <= high
    assert body["skew_25d"] == pytest.approx(body["put_25d_iv"] - body["call_25d_iv"])


def test_max_pain_matches_brute_force(pinned_market):
    snapshot = _snapshot(pinned_market)

    body = optionsanalytics.oi_tracker(pinned_market, snapshot)

    rows = body["chain"]
    pains = {}
    for settle in rows:
        call = sum(row["ce_oi"] * max(settle["strike"] - row["strike"], 0) for row in rows)
        put = sum(row["pe_oi"] * max(row["strike"] - settle["strike"], 0) for row in rows)
        assert (settle["ce_pain"], settle["pe_pain"]) == (pytest.approx(call), pytest.approx(put))
        pains[settle["strike"]] = call + put
    assert body["max_pain"] == min(pains, key=pains.get)


def test_oi_tracker_totals_pcr_and_futures_price(pinned_market):
    snapshot = _snapshot(pinned_market, strikes=10)

    body = optionsanalytics.oi_tracker(pinned_market, snapshot)

    assert len(body["chain"]) == 21
    calls = sum(row["ce_oi"] for row in body["chain"])
    puts = sum(row["pe_oi"] for row in body["chain"])
    assert (body["total_ce_oi"], body["total_pe_oi"]) == (calls, puts)
    assert body["pcr_oi"] == round(puts / calls, 4)
    volumes = [sum(row[f"{side}_volume"] for row in body["chain"]) for side in ("ce", "pe")]
    assert body["pcr_volume"] == round(volumes[1] / volumes[0], 4)
    nearest = pinned_market.master.expiries("NIFTY", "NFO", "futures")[0]
    future = pinned_market.master.future("NIFTY", "NFO", nearest)
    assert body["futures_symbol"] == future.symbol
    assert body["futures_ltp"] == pinned_market.quote("NFO", future.symbol).ltp


def test_surface_cells_are_each_expiry_s_out_of_the_money_iv(pinned_market):
    body = optionsanalytics.volatility_surface(
        pinned_market,
        SnapshotCache(),
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_count=6,
        strike_count=5,
        interest_rate=None,
    )

    listed = pinned_market.master.expiries("NIFTY", "NFO", "options")
    assert [row["expiry_date"] for row in body["expiries"]] == [compact_expiry(day) for day in listed[:6]]
    assert body["strikes"] == sorted(body["strikes"])
    days = [row["days_to_expiry"] for row in body["expiries"]]
    assert days == sorted(days)
    for row in body["expiries"]:
        snapshot = _snapshot(pinned_market, expiry=row["expiry_date"], strikes=5)
        smile = {leg["strike"]: leg for leg in optionsanalytics.iv_smile(snapshot)["chain"]}
        for strike, cell in zip(body["strikes"], row["iv"], strict=True):
            if strike not in smile:
                assert cell is None
                continue
            side = "pe" if strike < snapshot.forward else "ce"
            assert cell == smile[strike][f"{side}_iv"]


def test_cache_reuses_a_snapshot_within_its_ttl_and_stays_bounded(pinned_market):
    now = [0.0]
    cache = SnapshotCache(ttl_seconds=1.0, max_entries=2, clock=lambda: now[0])

    def read(expiry: str | None = None):
        return optionsanalytics.cached_snapshot(
            pinned_market,
            cache,
            underlying="NIFTY",
            exchange="NSE_INDEX",
            expiry_date=expiry,
            strike_count=3,
            interest_rate=None,
        )

    first = read()
    assert read() is first and cache.builds == 1
    now[0] = 1.5
    assert read() is not first and cache.builds == 2
    listed = pinned_market.master.expiries("NIFTY", "NFO", "options")
    for day in listed[1:4]:
        read(compact_expiry(day))
    assert len(cache) == 2


# -- the endpoints, on the still client ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["gex", "ivsmile", "oitracker"])
def test_chain_tools_answer_for_the_named_expiry(ask, path, nifty_expiry_text, nifty_atm):
    body = ask(path, underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text, strike_count=5)

    assert (body["status"], body["expiry_date"], body["atm_strike"]) == ("success", nifty_expiry_text, nifty_atm)
    assert len(body["chain"]) == 11


def test_tools_use_the_option_chain_s_forward_and_ivs(ask, nifty_expiry_text):
    fields = {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": nifty_expiry_text, "strike_count": 3}
    chain = ask("optionchain", with_greeks=True, **fields)

    smile = ask("ivsmile", **fields)

    assert smile["forward_price"] == chain["forward_price"]
    for row, leg in zip(smile["chain"], chain["chain"], strict=True):
        if row["ce_iv"] is not None:
            assert round(row["ce_iv"], 2) == pytest.approx(leg["ce"]["implied_volatility"], abs=0.011)
        if row["pe_iv"] is not None:
            assert round(row["pe_iv"], 2) == pytest.approx(leg["pe"]["implied_volatility"], abs=0.011)


def test_surface_answers_six_expiries(ask, market):
    body = ask("volsurface", underlying="NIFTY", exchange="NSE_INDEX", expiry_count=6, strike_count=4)

    live = [row["expiry_date"] for row in body["expiries"]]
    assert len(live) == min(6, len(market.master.expiries("NIFTY", "NFO", "options")))
    assert all(len(row["iv"]) == len(body["strikes"]) for row in body["expiries"])
    assert any(cell is not None for row in body["expiries"] for cell in row["iv"])


def test_endpoints_share_one_snapshot_per_underlying_and_expiry(ask, app, nifty_expiry_text):
    fields = {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": nifty_expiry_text, "strike_count": 2}
    cache = app.services.analytics_cache
    before = cache.builds

    for path in ("gex", "ivsmile", "oitracker", "gex"):
        ask(path, **fields)

    assert cache.builds == before + 1


def test_unknown_underlying_is_404(ask):
    assert ask("gex", 404, underlying="NOSUCH", exchange="NSE_INDEX")["code"] == "SYMBOL_NOT_FOUND"


def test_expiry_not_listed_is_404(ask, nifty_expiry):
    unlisted = compact_expiry(nifty_expiry.replace(year=nifty_expiry.year + 5))

    assert ask("oitracker", 404, underlying="NIFTY", exchange="NSE_INDEX", expiry_date=unlisted)["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "fields", "field"),
    [
        ("gex", {"strike_count": 51}, "strike_count"),
        ("ivsmile", {"expiry_date": "31-02-26"}, "expiry_date"),
        ("oitracker", {"strike_count": 0}, "strike_count"),
        ("volsurface", {"expiry_count": 13}, "expiry_count"),
        ("volsurface", {"strike_count": 51}, "strike_count"),
        ("gex", {"surprise": 1}, None),
    ],
)
def test_bad_inputs_are_400(ask, path, fields, field):
    body = ask(path, 400, underlying="NIFTY", exchange="NSE_INDEX", **fields)

    assert body["status"] == "error"
    if field is not None:
        assert field in body.get("errors", {}) or field in body["message"]
