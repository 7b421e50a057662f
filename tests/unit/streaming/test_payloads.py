import json

import pytest

from streaming.payloads import market_data_frame, project_tick, tick_payload
from streaming.protocol import Mode
from tests.unit.streaming.fakes import FakeMarket
from tests.unit.streaming.schemas import validate, validate_server_frame

pytestmark = pytest.mark.websocket


@pytest.fixture
def payload():
    return tick_payload(FakeMarket().tick("NSE", "RELIANCE"))


def test_canonical_tick_matches_the_bus_schema(payload):
    validate("BusTick", payload)

    assert payload["timestamp"] == 1_716_877_200_000
    assert payload["total_buy_quantity"] == sum(100 + level for level in range(5))


@pytest.mark.parametrize("mode", list(Mode))
def test_each_mode_frame_matches_its_schema(payload, mode):
    frame = json.loads(market_data_frame(payload, mode, "sandbox", 7, "RELIANCE", "NSE"))

    validate_server_frame(frame)
    assert frame["mode"] == frame["data"]["mode"] == int(mode)
    assert frame["sequence"] == 7


def test_ltp_projection_is_small_and_carries_no_depth(payload):
    data = project_tick(payload, Mode.LTP)

    assert set(data) == {"symbol", "exchange", "mode", "ltp", "ltt", "timestamp"}


def test_quote_projection_fills_the_sdk_spellings(payload):
    data = project_tick(payload, Mode.QUOTE)

    assert data["last_trade_quantity"] == data["last_quantity"] == 10
    assert data["avg_trade_price"] == data["average_price"]
    assert data["change"] == pytest.approx(8.0)
    assert "depth" not in data


def test_depth_projection_pads_a_thin_book_to_five_levels():
    thin = {"symbol": "NIFTY", "exchange": "NSE_INDEX", "ltp": 24000.0, "depth": {"buy": [], "sell": []}}

    data = project_tick(thin, Mode.DEPTH)

    assert len(data["depth"]["buy"]) == len(data["depth"]["sell"]) == 5
    assert data["depth"]["buy"][0] == {"price": 0.0, "quantity": 0, "orders": 0}
