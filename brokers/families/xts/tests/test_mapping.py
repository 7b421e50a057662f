"""XTS's answers, mixed case and strings as it sends them, become unified models; unknown states are refused."""

from __future__ import annotations

import pytest

from brokers.common.symbols import SymbolBook
from brokers.families.xts import mapping
from brokers.families.xts.errors import error_from_upstream
from brokers.families.xts.symbols import parse_master
from brokers.families.xts.tests.test_symbols import EQUITY
from generated.api import PlaceOrderRequest
from generated.errors import BrokerBadResponse, BrokerSessionExpired, BrokerUnavailable, Forbidden, OrderRejected

LOOKUP = mapping.Lookup(SymbolBook(parse_master(EQUITY)), "iifl")
ORDER = {
    "AppOrderID": 1100000123, "ExchangeSegment": "NSECM", "ExchangeInstrumentID": 2885, "TradingSymbol": "RELIANCE-EQ",
    "OrderSide": "Buy", "OrderType": "StopMarket", "ProductType": "CNC", "OrderStatus": "New", "OrderQuantity": 2,
    "OrderPrice": 0, "OrderStopPrice": "2500.5", "OrderAverageTradedPrice": "", "CumulativeQuantity": 0,
    "LeavesQuantity": 2, "CancelRejectReason": "", "OrderGeneratedDateTime": "2024-12-04T10:15:00",
}  # fmt: skip


def test_an_open_stop_order_reads_as_trigger_pending_with_unified_names():
    order = mapping.order_from_upstream(ORDER, LOOKUP)

    assert (order.orderid, order.symbol, order.exchange, order.action) == ("1100000123", "RELIANCE", "NSE", "BUY")
    assert (order.pricetype, order.order_status, order.trigger_price, order.average_price) == (
        "SL-M",
        "trigger pending",
        2500.5,
        0.0,
    )


def test_a_rejected_order_carries_the_broker_reason_and_an_unknown_status_is_refused():
    rejected = mapping.order_from_upstream(
        ORDER | {"OrderStatus": "Rejected", "CancelRejectReason": "RMS: margin"}, LOOKUP
    )

    assert (rejected.order_status, rejected.rejection_reason) == ("rejected", "RMS: margin")
    with pytest.raises(BrokerBadResponse, match="'HALTED' was not in the order status table"):
        mapping.order_from_upstream(ORDER | {"OrderStatus": "Halted"}, LOOKUP)


def test_place_order_body_uses_the_segment_instrument_id_and_xts_order_types():
    request = PlaceOrderRequest(strategy="s", exchange="NSE", symbol="RELIANCE", action="sell", quantity=3, pricetype="SL",
                                product="MIS", price=2400, trigger_price=2405)  # fmt: skip

    body = mapping.to_upstream_order(request, LOOKUP._book.to_upstream("NSE", "RELIANCE"), "iifl")

    assert {key: body[key] for key in ("exchangeSegment", "exchangeInstrumentID", "orderType", "orderSide", "productType")} == {
        "exchangeSegment": "NSECM", "exchangeInstrumentID": 2885, "orderType": "STOPLIMIT", "orderSide": "SELL", "productType": "MIS"
    }  # fmt: skip
    assert (body["limitPrice"], body["stopPrice"], body["orderQuantity"]) == (2400.0, 2405.0, 3)


def test_candles_shift_xts_ist_as_utc_times_back_to_real_epoch_seconds():
    candles = mapping.candles_from_upstream(
        {"dataReponse": "1733307300|10|12|9|11|500|0|,1733307360|11|13|10|12|600|0|"}
    )

    assert [(candle.timestamp, candle.close, candle.volume) for candle in candles] == [
        (1733287500, 11.0, 500),
        (1733287560, 12.0, 600),
    ]


def test_funds_read_the_rms_sub_limits_whatever_their_number_spelling():
    result = {"BalanceList": [{"limitObject": {"RMSSubLimits": {"netMarginAvailable": "97598.5", "marginUtilized": 2401.5,
                                                                  "collateral": "", "RealizedMTM": "-3"}}}]}  # fmt: skip

    funds = mapping.funds_from_upstream(result)

    assert (funds.availablecash, funds.utiliseddebits, funds.collateral, funds.m2mrealized) == (
        97598.5,
        2401.5,
        0.0,
        -3.0,
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [("e-session-0002", 401, BrokerSessionExpired), ("e-rms-0004", 400, OrderRejected), ("e-user-0005", 400, Forbidden),
     ("e-response-0500", 500, BrokerUnavailable), ("nonsense", 400, BrokerBadResponse), (None, 503, BrokerUnavailable)],
)  # fmt: skip
def test_error_codes_go_by_their_area(code, status, expected):
    error = error_from_upstream(code, "said the broker", "iifl", status)

    assert type(error) is expected
    if expected is OrderRejected:
        assert error.context["reason"] == "said the broker"
