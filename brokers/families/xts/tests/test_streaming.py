"""socket.io frames decode to ticks; only market-data events carry any."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from brokers.families.xts.streaming import decode_frame, socket_url

EVENT = {"ExchangeSegment": 1, "ExchangeInstrumentID": 2885, "Bids": [{"Size": 10, "Price": 2401, "TotalOrders": 2}],
         "Asks": [{"Size": 7, "Price": 2402, "TotalOrders": 1}],
         "Touchline": {"LastTradedPrice": 2401.5, "LastTradedQunatity": 3, "TotalTradedQuantity": 1890, "Close": 2395,
                       "LastTradedTime": 1417774200}}  # fmt: skip


def test_a_depth_event_decodes_with_its_levels_and_its_1980_epoch_time():
    [tick] = decode_frame("42" + json.dumps(["1502-json-full", json.dumps(EVENT)]))

    assert (tick.key, tick.mode, tick.last_price, tick.last_quantity, tick.close) == (
        (1, 2885),
        "full",
        2401.5,
        3,
        2395.0,
    )
    assert (tick.bids[0].price, tick.bids[0].quantity, tick.asks[0].orders) == (2401.0, 10, 1)
    assert tick.traded_at == datetime(2024, 12, 4, 4, 40, tzinfo=UTC)  # 10:10 IST


def test_engine_io_open_connect_ping_and_other_events_carry_no_ticks():
    frames = ['0{"sid":"x"}', "40", "3", '42["joined","ok"]', b"2"]

    assert [decode_frame(frame) for frame in frames] == [[], [], [], [], []]


def test_the_socket_url_carries_the_market_token_and_engine_io_3():
    url = socket_url("https://ttblaze.iifl.com", "tok", "U1")

    assert url.startswith("wss://ttblaze.iifl.com/apimarketdata/socket.io/?token=tok&userID=U1&")
    assert "EIO=3" in url and "transport=websocket" in url
