"""Noren's codes both ways, strict where they drive state, and its answers parsed into unified models."""

from __future__ import annotations

import pytest

from brokers.common.symbols import SymbolBook
from brokers.families.noren import mapping
from brokers.families.noren.errors import error_from_upstream
from brokers.families.noren.symbols import parse_master
from generated.api import PlaceOrderRequest
from generated.errors import BrokerBadResponse, BrokerSessionExpired, OrderRejected, SymbolNotFound

MASTER = """Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,
NSE,3045,1,SBIN,SBIN-EQ,,EQ,,,0.05,
NSE,26000,1,NIFTY,Nifty 50,,INDEX,,,0.05,
NFO,35003,25,NIFTY,NIFTY26DEC24C26000,26-DEC-2024,OPTIDX,CE,26000,0.05,
NFO,35010,25,NIFTY,NIFTY26DEC24F,26-DEC-2024,FUTIDX,XX,0,0.05,
NSE,999,1,GSEC,GS2030-GS,,GS,,,0.01,
"""
BOOK = SymbolBook(parse_master([MASTER]))


def test_symbol_files_become_unified_rows_from_their_columns():
    names = {(row.exchange, row.symbol): row.brsymbol for row in BOOK.records}

    assert names == {
        ("NSE", "SBIN"): "SBIN-EQ",
        ("NSE_INDEX", "NIFTY"): "Nifty 50",
        ("NFO", "NIFTY26DEC2426000CE"): "NIFTY26DEC24C26000",
        ("NFO", "NIFTY26DEC24FUT"): "NIFTY26DEC24F",
    }
    assert BOOK.to_upstream("NFO", "NIFTY26DEC2426000CE").strike == 26000.0


def test_an_order_goes_out_in_noren_codes():
    request = PlaceOrderRequest(strategy="s", exchange="NSE", symbol="SBIN", action="SELL", quantity=3,
                                pricetype="SL", product="MIS", price=101.5, trigger_price=101)  # fmt: skip

    body = mapping.to_upstream_order(request, BOOK.to_upstream("NSE", "SBIN"), "FA12345")

    assert body | {"remarks": ""} == {
        "actid": "FA12345", "exch": "NSE", "tsym": "SBIN-EQ", "qty": "3", "prc": "101.5", "trgprc": "101",
        "dscqty": "0", "prd": "I", "trantype": "S", "prctyp": "SL-LMT", "ret": "DAY", "remarks": "", "ordersource": "API",
    }  # fmt: skip


def test_an_order_book_row_maps_to_the_unified_order():
    row = {"norenordno": "24120400001", "exch": "NFO", "tsym": "NIFTY26DEC24F", "qty": "50", "prc": "0", "trgprc": "0",
           "prd": "M", "trantype": "B", "prctyp": "MKT", "status": "COMPLETE", "avgprc": "24100.5", "fillshares": "50"}  # fmt: skip

    order = mapping.order_from_upstream(row, BOOK, "shoonya")

    assert (order.symbol, order.product, order.pricetype, order.order_status) == (
        "NIFTY26DEC24FUT",
        "NRML",
        "MARKET",
        "complete",
    )
    assert order.average_price == 24100.5 and order.pending_quantity == 0


def test_an_unknown_status_is_the_brokers_mistake_and_is_named():
    row = {
        "norenordno": "1",
        "exch": "NSE",
        "tsym": "SBIN-EQ",
        "prd": "C",
        "trantype": "B",
        "prctyp": "LMT",
        "status": "HALF",
    }

    with pytest.raises(BrokerBadResponse, match="'HALF' was not in the order status table"):
        mapping.order_from_upstream(row, BOOK, "shoonya")


def test_limits_give_what_is_left_to_use():
    funds = mapping.funds_from_upstream({"cash": "10000", "payin": "500", "marginused": "1200.50"})

    assert (funds.availablecash, funds.utiliseddebits) == (9299.5, 1200.5)


@pytest.mark.parametrize(
    ("text", "is_order", "expected"),
    [
        ("Session Expired :  Invalid Session Key", False, BrokerSessionExpired),
        ("Invalid jKey", False, BrokerSessionExpired),
        ("RMS:Margin Exceeds", True, OrderRejected),
        ("something new", True, OrderRejected),
        ("Invalid Symbol : no such trading symbol", False, SymbolNotFound),
        ("something new", False, BrokerBadResponse),
    ],
)
def test_failure_texts_map_to_the_taxonomy(text, is_order, expected):
    assert type(error_from_upstream("shoonya", text, is_order=is_order)) is expected
