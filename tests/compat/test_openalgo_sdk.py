"""Every REST method of the `openalgo` SDK 2.0.5, sent exactly as the SDK sends it, answered as OpenAlgo documents.

The SDK itself needs Python >= 3.12 and cannot be installed here (brokergate runs on 3.11), so
`tests/compat/openalgo_sdk.py` mirrors how each SDK method builds its payload: numbers as strings in
order methods, `strategy` defaulting to "Python", raw `orderid`s, GTT numbers as numbers.

One case per SDK method (a few methods get a second case for an option the SDK offers). Each case
runs against the app with response validation on, so a 200 here also means the answer matched
`spec/openapi.yaml`; the body is then checked against OpenAlgo's documented field names and types
(`tests/compat/shapes.py`). A method whose endpoint the spec does not define yet is skipped, naming
the missing path, so the suite grows as endpoints land. The WebSocket methods (FeedAPI) are covered
by the streaming tests, not here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from gateway.specs import spec
from sandbox.market import InstrumentType, compact_expiry
from tests.compat import shapes
from tests.compat.openalgo_sdk import OpenAlgoWire
from tests.conftest import APP_KEY, PEPPER


@dataclass(frozen=True)
class Case:
    name: str
    method: str  # HTTP method of the endpoint
    path: str  # under /api/v1
    call: Callable[[OpenAlgoWire, World], tuple[int, Any]]
    shape: Any

    def __str__(self) -> str:
        return self.name


class World:
    """What the cases need from the offline market: listed contracts and their expiries."""

    def __init__(self, app, sdk: OpenAlgoWire) -> None:
        self.market = app.services.market
        self.sdk = sdk
        self.app = app

    def linked_chat(self, username: str) -> None:
        """Link a Telegram chat to `username`, as `/start <code>` from the console's code would."""
        user = self.app.services.accounts.user(username)
        store = self.app.services.telegram.store
        store.link(store.new_link_code(user.id), 700_000 + user.id, username)

    def _nearest(self, exchange: str, name: str, kind: InstrumentType):
        listed = [i for i in self.market.master.all(exchange) if i.name == name and i.instrument_type is kind]
        return min(listed, key=lambda i: i.expiry)

    @cached_property
    def nifty_future(self):
        return self._nearest("NFO", "NIFTY", InstrumentType.FUTURE)

    @cached_property
    def nifty_call(self):
        expiry = self._nearest("NFO", "NIFTY", InstrumentType.CALL).expiry
        spot = self.market.quote("NSE_INDEX", "NIFTY").ltp
        calls = [
            i
            for i in self.market.master.all("NFO")
            if i.name == "NIFTY" and i.instrument_type is InstrumentType.CALL and i.expiry == expiry
        ]
        return min(calls, key=lambda i: abs(i.strike - spot))

    @property
    def option_expiry(self) -> str:
        return compact_expiry(self.nifty_call.expiry)

    def resting_buy(self) -> str:
        """The id of an open SBIN buy limit far below the market."""
        status, body = self.sdk.placeorder(
            symbol="SBIN", action="BUY", exchange="NSE", price_type="LIMIT", quantity=2, price=1
        )
        assert status == 200, body
        return body["orderid"]

    def filled_buy(self) -> str:
        status, body = self.sdk.placeorder(symbol="SBIN", action="BUY", exchange="NSE", quantity=3)
        assert status == 200, body
        return body["orderid"]

    def active_gtt(self) -> str:
        status, body = self.sdk.placegttorder(
            symbol="SBIN", action="BUY", exchange="NSE", quantity=1, price=2, triggerprice_sl=3
        )
        assert status == 200, body
        return body["trigger_id"]


def _modify(sdk: OpenAlgoWire, world: World):
    orderid = world.resting_buy()
    return sdk.modifyorder(
        order_id=orderid, symbol="SBIN", action="BUY", exchange="NSE", product="MIS", quantity=4, price=1.5
    )


def _tradebook(sdk: OpenAlgoWire, world: World):
    world.filled_buy()
    return sdk.tradebook()


def _positionbook(sdk: OpenAlgoWire, world: World):
    world.filled_buy()
    return sdk.positionbook()


def _orderbook(sdk: OpenAlgoWire, world: World):
    world.resting_buy()
    world.filled_buy()
    return sdk.orderbook()


def _closeposition(sdk: OpenAlgoWire, world: World):
    world.filled_buy()
    return sdk.closeposition()


def _cancelall(sdk: OpenAlgoWire, world: World):
    world.resting_buy()
    return sdk.cancelallorder()


def _modifygtt(sdk: OpenAlgoWire, world: World):
    trigger_id = world.active_gtt()
    return sdk.modifygttorder(
        trigger_id=trigger_id, symbol="SBIN", action="BUY", exchange="NSE", quantity=2, price=2.5, triggerprice_sl=3.5
    )


def _gttbook(sdk: OpenAlgoWire, world: World, **kwargs):
    world.active_gtt()
    return sdk.gttorderbook(**kwargs)


_TODAY = datetime.date.today()
_STRATEGY = "strategy/{}"

CASES = [
    # OrderAPI
    Case(
        "placeorder-market",
        "post",
        "placeorder",
        lambda sdk, w: sdk.placeorder(symbol="SBIN", action="BUY", exchange="NSE"),
        shapes.ORDER_ID,
    ),
    Case(
        "placeorder-limit-kwargs",
        "post",
        "placeorder",
        lambda sdk, w: sdk.placeorder(
            symbol=w.nifty_future.symbol,
            action="SELL",
            exchange="NFO",
            price_type="LIMIT",
            product="NRML",
            quantity=w.nifty_future.lot_size,
            price=999999,
            trigger_price=0,
            disclosed_quantity=0,
        ),
        shapes.ORDER_ID,
    ),
    Case(
        "placesmartorder",
        "post",
        "placesmartorder",
        lambda sdk, w: sdk.placesmartorder(symbol="SBIN", action="BUY", exchange="NSE", quantity=1, position_size=5),
        shapes.SMART,
    ),
    Case(
        "basketorder",
        "post",
        "basketorder",
        lambda sdk, w: sdk.basketorder(
            orders=[
                {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1, "pricetype": "MARKET", "product": "MIS"},
                {"symbol": "INFY", "exchange": "NSE", "action": "SELL", "quantity": 1, "pricetype": "MARKET", "product": "MIS"},
            ]
        ),
        shapes.BASKET,
    ),
    Case(
        "splitorder",
        "post",
        "splitorder",
        lambda sdk, w: sdk.splitorder(symbol="SBIN", action="BUY", exchange="NSE", quantity=105, splitsize=50),
        shapes.SPLIT,
    ),
    Case(
        "orderstatus",
        "post",
        "orderstatus",
        lambda sdk, w: sdk.orderstatus(order_id=w.filled_buy()),
        shapes.ORDER_STATUS,
    ),
    Case(
        "openposition",
        "post",
        "openposition",
        lambda sdk, w: sdk.openposition(symbol="SBIN", exchange="NSE", product="MIS"),
        shapes.OPEN_POSITION,
    ),
    Case("modifyorder", "post", "modifyorder", _modify, shapes.ORDER_ID_MESSAGE),
    Case(
        "cancelorder",
        "post",
        "cancelorder",
        lambda sdk, w: sdk.cancelorder(order_id=w.resting_buy()),
        shapes.ORDER_ID_MESSAGE,
    ),
    Case("closeposition", "post", "closeposition", _closeposition, shapes.CLOSE_POSITION),
    Case("cancelallorder", "post", "cancelallorder", _cancelall, shapes.CANCEL_ALL),
    # GTTAPI
    Case(
        "placegttorder-single",
        "post",
        "placegttorder",
        lambda sdk, w: sdk.placegttorder(symbol="SBIN", action="BUY", exchange="NSE", quantity=1, price=2, triggerprice_sl=3),
        shapes.GTT_ID,
    ),
    Case(
        "placegttorder-oco",
        "post",
        "placegttorder",
        lambda sdk, w: sdk.placegttorder(
            symbol=w.nifty_future.symbol,
            action="sell",
            exchange="NFO",
            trigger_type="oco",
            product="NRML",
            quantity=w.nifty_future.lot_size,
            triggerprice_sl=1,
            stoploss=1,
            triggerprice_tg=999999,
            target=999999,
        ),
        shapes.GTT_ID,
    ),
    Case("modifygttorder", "post", "modifygttorder", _modifygtt, shapes.GTT_ID),
    Case(
        "cancelgttorder",
        "post",
        "cancelgttorder",
        lambda sdk, w: sdk.cancelgttorder(trigger_id=w.active_gtt()),
        shapes.GTT_ID,
    ),
    Case("gttorderbook", "post", "gttorderbook", _gttbook, shapes.GTT_BOOK),
    Case(
        "gttorderbook-status-all",
        "post",
        "gttorderbook",
        lambda sdk, w: _gttbook(sdk, w, status="all"),
        shapes.GTT_BOOK,
    ),
    # DataAPI
    Case("quotes", "post", "quotes", lambda sdk, w: sdk.quotes(symbol="SBIN", exchange="NSE"), shapes.QUOTES),
    Case(
        "multiquotes",
        "post",
        "multiquotes",
        lambda sdk, w: sdk.multiquotes(
            symbols=[{"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "NIFTY", "exchange": "NSE_INDEX"}]
        ),
        shapes.MULTI_QUOTES,
    ),
    Case("depth", "post", "depth", lambda sdk, w: sdk.depth(symbol="SBIN", exchange="NSE"), shapes.DEPTH),
    Case("symbol", "post", "symbol", lambda sdk, w: sdk.symbol(symbol="SBIN", exchange="NSE"), shapes.SYMBOL),
    Case("search", "post", "search", lambda sdk, w: sdk.search(query="nifty", exchange="NFO"), shapes.INSTRUMENT_LIST),
    Case(
        "history-intraday",
        "post",
        "history",
        lambda sdk, w: sdk.history(
            symbol="SBIN",
            exchange="NSE",
            interval="5m",
            start_date=(_TODAY - datetime.timedelta(days=5)).isoformat(),
            end_date=_TODAY.isoformat(),
        ),
        shapes.HISTORY,
    ),
    Case(
        "history-daily",
        "post",
        "history",
        lambda sdk, w: sdk.history(
            symbol="NIFTY",
            exchange="NSE_INDEX",
            interval="D",
            start_date=(_TODAY - datetime.timedelta(days=60)).isoformat(),
            end_date=_TODAY.isoformat(),
        ),
        shapes.HISTORY,
    ),
    Case("intervals", "post", "intervals", lambda sdk, w: sdk.intervals(), shapes.INTERVALS),
    Case(
        "expiry",
        "post",
        "expiry",
        lambda sdk, w: sdk.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options"),
        shapes.EXPIRY,
    ),
    Case(
        "instruments-one-exchange",
        "get",
        "instruments",
        lambda sdk, w: sdk.instruments(exchange="NSE_INDEX"),
        shapes.INSTRUMENT_LIST,
    ),
    Case("instruments-all", "get", "instruments", lambda sdk, w: sdk.instruments(), shapes.INSTRUMENT_LIST),
    Case(
        "syntheticfuture",
        "post",
        "syntheticfuture",
        lambda sdk, w: sdk.syntheticfuture(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=w.option_expiry),
        shapes.SYNTHETIC_FUTURE,
    ),
    # AccountAPI
    Case("funds", "post", "funds", lambda sdk, w: sdk.funds(), shapes.FUNDS),
    Case("orderbook", "post", "orderbook", _orderbook, shapes.ORDER_BOOK),
    Case("tradebook", "post", "tradebook", _tradebook, shapes.TRADE_BOOK),
    Case("positionbook", "post", "positionbook", _positionbook, shapes.POSITION_BOOK),
    Case("holdings", "post", "holdings", lambda sdk, w: sdk.holdings(), shapes.HOLDINGS),
    Case("analyzerstatus", "post", "analyzer", lambda sdk, w: sdk.analyzerstatus(), shapes.ANALYZER),
    Case("analyzertoggle", "post", "analyzer/toggle", lambda sdk, w: sdk.analyzertoggle(True), shapes.ANALYZER),
    Case(
        "margin",
        "post",
        "margin",
        lambda sdk, w: sdk.margin(
            positions=[
                {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 10, "product": "MIS", "pricetype": "MARKET"},
                {
                    "symbol": w.nifty_future.symbol,
                    "exchange": "NFO",
                    "action": "SELL",
                    "quantity": w.nifty_future.lot_size,
                    "product": "NRML",
                    "pricetype": "LIMIT",
                    "price": 26000,
                },
            ]
        ),
        shapes.MARGIN,
    ),
    # OptionsAPI
    Case(
        "optiongreeks",
        "post",
        "optiongreeks",
        lambda sdk, w: sdk.optiongreeks(symbol=w.nifty_call.symbol, exchange="NFO", interest_rate=0),
        shapes.GREEKS,
    ),
    Case(
        "optionsorder",
        "post",
        "optionsorder",
        lambda sdk, w: sdk.optionsorder(
            underlying="NIFTY",
            exchange="NSE_INDEX",
            expiry_date=w.option_expiry,
            offset="ATM",
            option_type="CE",
            action="BUY",
            quantity=w.nifty_call.lot_size,
        ),
        shapes.OPTIONS_ORDER,
    ),
    Case(
        "optionsymbol",
        "post",
        "optionsymbol",
        lambda sdk, w: sdk.optionsymbol(
            underlying="NIFTY", exchange="NSE_INDEX", expiry_date=w.option_expiry, offset="ITM2", option_type="PE"
        ),
        shapes.OPTION_SYMBOL,
    ),
    Case(
        "optionsmultiorder",
        "post",
        "optionsmultiorder",
        lambda sdk, w: sdk.optionsmultiorder(
            underlying="NIFTY",
            exchange="NSE_INDEX",
            expiry_date=w.option_expiry,
            legs=[
                {"offset": "OTM2", "option_type": "CE", "action": "BUY", "quantity": w.nifty_call.lot_size},
                {"offset": "ATM", "option_type": "CE", "action": "SELL", "quantity": w.nifty_call.lot_size, "splitsize": 0},
            ],
        ),
        shapes.OPTIONS_MULTI_ORDER,
    ),
    Case(
        "optionchain",
        "post",
        "optionchain",
        lambda sdk, w: sdk.optionchain(
            underlying="NIFTY", exchange="NSE_INDEX", expiry_date=w.option_expiry, strike_count=2, with_greeks=True
        ),
        shapes.OPTION_CHAIN,
    ),
    Case(
        "optionchain-nearest-expiry",
        "post",
        "optionchain",
        lambda sdk, w: sdk.optionchain(underlying="NIFTY", exchange="NSE_INDEX", strike_count=1),
        shapes.OPTION_CHAIN,
    ),
    # UtilitiesAPI
    Case("holidays", "post", "market/holidays", lambda sdk, w: sdk.holidays(), shapes.HOLIDAYS),
    Case("holidays-year", "post", "market/holidays", lambda sdk, w: sdk.holidays(2026), shapes.HOLIDAYS),
    Case("timings", "post", "market/timings", lambda sdk, w: sdk.timings("2026-12-01"), shapes.TIMINGS),
    # TelegramAPI, WhatsAppAPI
    Case(
        "telegram",
        "post",
        "telegram/notify",
        lambda sdk, w: (w.linked_chat("trader"), sdk.telegram(username="trader", message="hello"))[1],
        shapes.NOTIFY,
    ),
    Case("whatsapp", "post", "whatsapp/notify", lambda sdk, w: sdk.whatsapp("hello"), shapes.NOTIFY),
    # StrategyAPI
    *[
        Case(
            f"strategy{action.replace('_', '')}",
            "post",
            _STRATEGY.format(action),
            lambda sdk, w, action=action: sdk.strategy(action, strategy_id=1),
            {"status": "success"},
        )
        for action in ("list", "status", "start", "stop", "close_all", "close_leg", "runs", "orders", "events")
    ],
]


def _spec_operations() -> set[tuple[str, str]]:
    paths = spec("openapi.yaml")["paths"]
    return {(method, path.strip("/")) for path, item in paths.items() for method in item}


def _params(cases: list[Case]) -> list:
    defined = _spec_operations()
    return [
        pytest.param(
            case,
            id=case.name,
            marks=pytest.mark.skipif(
                (case.method, case.path) not in defined,
                reason=f"{case.method.upper()} /api/v1/{case.path} is not in spec/openapi.yaml yet",
            ),
        )
        for case in cases
    ]


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app for the module: the cases only add orders, so they need no fresh database each."""
    folder = tmp_path_factory.mktemp("compat")
    settings = Settings(
        app_key=APP_KEY,
        api_key_pepper=PEPPER,
        database_url=f"sqlite:///{folder / 'brokergate.db'}",
        history_database=str(folder / "history.duckdb"),
        websocket_port=0,
        zmq_address="tcp://127.0.0.1:*",
        # The cases follow each other faster than a trader would; the limits have their own tests.
        api_rate_limit="10000 per second",
        order_rate_limit="10000 per second",
        smart_order_rate_limit="10000 per second",
        greeks_rate_limit="10000 per second",
        _env_file=None,
    )
    return create_app(settings, validate_responses=True)


@pytest.fixture(scope="module")
def sdk(shared_app) -> OpenAlgoWire:
    shared_app.services.accounts.create_user("trader", "correct horse battery")
    api_key = shared_app.services.accounts.create_api_key("trader")
    with shared_app.test_client() as client:

        def send(method: str, endpoint: str, data: dict):
            url = f"/api/v1/{endpoint}"
            response = client.post(url, json=data) if method == "POST" else client.get(url, params=data)
            is_json = response.headers.get("content-type", "").startswith("application/json")
            return response.status_code, response.json() if is_json else response.text

        yield OpenAlgoWire(api_key, send)


@pytest.mark.parametrize("case", _params(CASES))
def test_sdk_payload_is_accepted_and_answered_in_openalgo_shape(case: Case, shared_app, sdk):
    status, body = case.call(sdk, World(shared_app, sdk))

    assert status == 200, body  # the app validates responses: a 200 also means the body matched the spec
    assert shapes.mismatches(body, case.shape) == []


def test_int_order_id_is_refused_with_the_field_named_as_openalgo_does(sdk):
    status, body = sdk.orderstatus(order_id=26112400000001)

    assert status == 400
    assert body["code"] == "VALIDATION_FAILED" and "orderid" in body["errors"]


def test_the_table_covers_every_rest_method_of_the_sdk():
    methods = {case.name.split("-")[0] for case in CASES}
    sdk_methods = {
        name
        for name in vars(OpenAlgoWire)
        if not name.startswith("_") and callable(getattr(OpenAlgoWire, name)) and name != "strategy"
    }

    assert sdk_methods <= methods
