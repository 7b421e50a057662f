"""Option orders named by offset: resolved from the listed strikes, placed, split, and as multi-leg strategies."""



def test_options_order_places_the_symbol_optionsymbol_names(trader):
    preview = trader(
        "optionsymbol",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        offset="ITM2",
        option_type="CE",
        expiry_date=trader("expiry", symbol="NIFTY", exchange="NFO", instrumenttype="options")["data"][0].replace(
            "-", ""
        ),
    )
    expiry = preview["symbol"][5:12]

    placed = trader(
        "optionsorder",
        strategy="t",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=expiry,
        offset="itm2",
        option_type="ce",
        action="BUY",
        quantity=str(preview["lotsize"]),
        product="NRML",
    )

    assert placed["symbol"] == preview["symbol"] and placed["exchange"] == "NFO"
    assert placed["offset"] == "ITM2" and placed["mode"] == "analyze"
    status = trader("orderstatus", strategy="t", orderid=placed["orderid"])["data"]
    assert status["symbol"] == preview["symbol"] and status["order_status"] == "complete"


def test_options_order_splits_into_children(trader):
    expiry = trader("expiry", symbol="NIFTY", exchange="NFO", instrumenttype="options")["data"][0].replace("-", "")
    lot = trader(
        "optionsymbol", underlying="NIFTY", exchange="NSE_INDEX", offset="ATM", option_type="PE", expiry_date=expiry
    )["lotsize"]

    placed = trader(
        "optionsorder",
        strategy="t",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=expiry,
        offset="ATM",
        option_type="PE",
        action="BUY",
        quantity=3 * lot,
        splitsize=lot,
        product="NRML",
    )

    assert placed["total_quantity"] == 3 * lot and len(placed["results"]) == 3
    assert all(child["status"] == "success" for child in placed["results"])


def test_options_order_with_an_out_of_range_offset_is_400(trader):
    expiry = trader("expiry", symbol="NIFTY", exchange="NFO", instrumenttype="options")["data"][0].replace("-", "")

    refused = trader(
        "optionsorder",
        expect=400,
        strategy="t",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=expiry,
        offset="OTM50",
        option_type="CE",
        action="BUY",
        quantity=65,
    )

    assert refused["code"] == "VALIDATION_FAILED"


def test_options_order_rejects_cnc(trader):
    assert trader(
        "optionsorder",
        expect=400,
        strategy="t",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        offset="ATM",
        option_type="CE",
        action="BUY",
        quantity=65,
        product="CNC",
    )["errors"]["product"]


def test_multi_leg_order_reports_legs_in_request_order_with_failures_in_place(trader):
    expiry = trader("expiry", symbol="NIFTY", exchange="NFO", instrumenttype="options")["data"][0].replace("-", "")
    lot = trader(
        "optionsymbol", underlying="NIFTY", exchange="NSE_INDEX", offset="ATM", option_type="CE", expiry_date=expiry
    )["lotsize"]
    legs = [
        {"offset": "OTM2", "option_type": "CE", "action": "SELL", "quantity": lot},
        {"offset": "OTM4", "option_type": "CE", "action": "BUY", "quantity": lot},
        {"offset": "ATM", "option_type": "PE", "action": "BUY", "quantity": 1},  # not a lot multiple
    ]

    answer = trader(
        "optionsmultiorder", strategy="spread", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, legs=legs
    )
    results = answer["results"]

    assert [result["leg"] for result in results] == [1, 2, 3]
    assert [result["status"] for result in results] == ["success", "success", "error"]
    assert results[2]["code"] == "ORDER_REJECTED"
    buy, sell = (trader("orderstatus", strategy="t", orderid=results[i]["orderid"])["data"] for i in (1, 0))
    assert buy["orderid"] < sell["orderid"]  # the hedge was placed first


def test_multi_leg_order_needs_legs(trader):
    assert (
        trader("optionsmultiorder", expect=400, strategy="s", underlying="NIFTY", exchange="NSE_INDEX", legs=[])["code"]
        == "VALIDATION_FAILED"
    )
