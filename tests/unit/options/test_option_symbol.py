"""POST /optionsymbol and /syntheticfuture: offsets resolved from the master's listed strikes."""

import pytest

from sandbox.market import InstrumentType, option_symbol

# (offset, option type, strikes above the ATM strike): a call's ITM lies below ATM, a put's above.
OFFSETS = [
    ("ATM", "CE", 0),
    ("ATM", "PE", 0),
    ("ITM1", "CE", -1),
    ("ITM3", "CE", -3),
    ("OTM2", "CE", 2),
    ("ITM1", "PE", 1),
    ("ITM3", "PE", 3),
    ("OTM2", "PE", -2),
    ("otm5", "pe", -5),
]


@pytest.mark.parametrize(("offset", "option_type", "steps"), OFFSETS)
def test_offset_counts_listed_strikes_from_atm(
    ask, nifty_expiry, nifty_expiry_text, nifty_strikes, nifty_atm, offset, option_type, steps
):
    strike = nifty_strikes[nifty_strikes.index(nifty_atm) + steps]

    body = ask(
        "optionsymbol",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        offset=offset,
        option_type=option_type,
    )

    kind = InstrumentType(option_type.upper())
    assert body["symbol"] == option_symbol("NIFTY", nifty_expiry, strike, kind)
    assert body["exchange"] == "NFO"
    assert (body["lotsize"], body["tick_size"], body["freeze_qty"]) == (65, 0.05, 1800)
    assert body["underlying_ltp"] > 0


def test_expiry_embedded_in_underlying_wins(ask, nifty_expiry, nifty_expiry_text, nifty_atm):
    body = ask(
        "optionsymbol",
        underlying=f"NIFTY{nifty_expiry_text}FUT",
        exchange="NFO",
        expiry_date="01JAN30",
        offset="ATM",
        option_type="CE",
    )

    assert body["symbol"] == option_symbol("NIFTY", nifty_expiry, nifty_atm, InstrumentType.CALL)


def test_legacy_strike_interval_rounds_the_price_to_its_grid(ask, market, nifty_expiry, nifty_expiry_text):
    spot = market.quote("NSE_INDEX", "NIFTY").ltp
    expected = round(spot / 100) * 100 - 2 * 100

    body = ask(
        "optionsymbol",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        offset="ITM2",
        option_type="CE",
        strike_int="100",
    )

    assert body["symbol"] == option_symbol("NIFTY", nifty_expiry, expected, InstrumentType.CALL)


def test_legacy_strike_off_the_listing_is_404(ask, nifty_expiry_text):
    body = ask(
        "optionsymbol",
        404,
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        offset="ATM",
        option_type="CE",
        strike_int=7,
    )

    assert body["code"] == "SYMBOL_NOT_FOUND"
    assert "not found in NFO" in body["message"]


def test_mcx_option_resolves_on_its_future(ask, market):
    expiry = market.master.expiries("CRUDEOIL", "MCX", "options")[0]
    strikes = market.master.strikes("CRUDEOIL", "MCX", expiry)
    written_on = market.master.get("MCX", option_symbol("CRUDEOIL", expiry, strikes[0], InstrumentType.CALL)).underlying
    ltp = market.quote("MCX", written_on).ltp
    atm = min(strikes, key=lambda strike: (abs(strike - ltp), strike))

    body = ask(
        "optionsymbol",
        underlying="CRUDEOIL",
        exchange="MCX",
        expiry_date=f"{expiry:%d-%b-%y}".upper(),
        offset="ATM",
        option_type="PE",
    )

    assert body["symbol"] == option_symbol("CRUDEOIL", expiry, atm, InstrumentType.PUT)
    assert body["underlying_ltp"] == ltp


@pytest.mark.parametrize("offset", ["ATM0", "ITM0", "ITM51", "NEAR", "OTM"])
def test_bad_offset_names_the_field(ask, nifty_expiry_text, offset):
    body = ask(
        "optionsymbol",
        400,
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        offset=offset,
        option_type="CE",
    )

    assert body["code"] == "VALIDATION_FAILED"
    assert body["errors"] == {"offset": ["Offset must be ATM, ITM1-ITM50, or OTM1-OTM50"]}


def test_offset_beyond_the_listed_strikes_is_400(ask, nifty_expiry_text):
    body = ask(
        "optionsymbol",
        400,
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        offset="ITM50",
        option_type="CE",
    )

    assert body["message"] == "Offset ITM50 is out of range for available strikes. Please use a smaller offset."


def test_missing_expiry_is_400(ask):
    body = ask("optionsymbol", 400, underlying="NIFTY", exchange="NSE_INDEX", offset="ATM", option_type="CE")

    assert list(body["errors"]) == ["expiry_date"]
    assert body["message"].startswith("Expiry date required.")


def test_unlisted_expiry_is_404(ask):
    body = ask(
        "optionsymbol",
        404,
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date="01JAN30",
        offset="ATM",
        option_type="CE",
    )

    assert body["code"] == "NOT_FOUND"
    assert body["message"].startswith("No strikes found for NIFTY expiring 01JAN30.")


def test_unknown_underlying_is_404(ask, nifty_expiry_text):
    body = ask(
        "optionsymbol",
        404,
        underlying="NOSUCH",
        exchange="NFO",
        expiry_date=nifty_expiry_text,
        offset="ATM",
        option_type="CE",
    )

    assert body["code"] == "SYMBOL_NOT_FOUND"


def test_wrong_option_type_is_rejected_by_the_schema(ask, nifty_expiry_text):
    body = ask(
        "optionsymbol",
        400,
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        offset="ATM",
        option_type="CALL",
    )

    assert list(body["errors"]) == ["option_type"]


def test_synthetic_future_is_atm_strike_plus_call_minus_put(ask, market, nifty_expiry, nifty_expiry_text, nifty_atm):
    call = market.quote("NFO", option_symbol("NIFTY", nifty_expiry, nifty_atm, InstrumentType.CALL)).ltp
    put = market.quote("NFO", option_symbol("NIFTY", nifty_expiry, nifty_atm, InstrumentType.PUT)).ltp

    body = ask("syntheticfuture", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text)

    assert body["atm_strike"] == nifty_atm
    assert body["synthetic_future_price"] == round(nifty_atm + call - put, 2)
    assert (body["underlying"], body["expiry"]) == ("NIFTY", nifty_expiry_text)
    assert body["underlying_ltp"] == market.quote("NSE_INDEX", "NIFTY").ltp


def test_synthetic_future_needs_an_expiry(ask):
    body = ask("syntheticfuture", 400, underlying="NIFTY", exchange="NSE_INDEX")

    assert body["errors"] == {"expiry_date": ["Missing data for required field."]}


def test_synthetic_future_with_malformed_expiry_is_400(ask):
    body = ask("syntheticfuture", 400, underlying="NIFTY", exchange="NSE_INDEX", expiry_date="31FOO26")

    assert list(body["errors"]) == ["expiry_date"]
