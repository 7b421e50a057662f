"""A client generated from spec/openapi.yaml drives a real server through a whole order's life.

`tools.sdk.generate()` runs openapi-python-client into a temporary folder; the test imports the
result and, authenticated only by the `X-API-KEY` header the spec's ApiKeyHeader scheme declares,
places a MARKET and a LIMIT order, reads, modifies and cancels the LIMIT one, and reads the order
book, trade book, positions and funds. Every answer parses into the generated response models.
"""

import importlib

from tests.e2e.conftest import cli
from tools.sdk import PACKAGE, generate


def test_generated_client_places_modifies_and_cancels(server, tmp_path, monkeypatch):
    folder, port, environment = server
    cli(folder, environment, "user", "create", "--username", "client", "--password", "a long password")
    api_key = cli(folder, environment, "apikey", "create", "--username", "client").strip().splitlines()[-1]
    monkeypatch.syspath_prepend(str(generate(tmp_path / "sdk")))
    sdk = importlib.import_module(PACKAGE)
    api = importlib.import_module(f"{PACKAGE}.api.orders")
    account = importlib.import_module(f"{PACKAGE}.api.account")
    models = importlib.import_module(f"{PACKAGE}.models")
    for module in ("placeorder", "modifyorder", "cancelorder"):
        importlib.import_module(f"{api.__name__}.handlers_orders_{module}")
    for module in ("orderstatus", "orderbook", "tradebook", "positionbook", "funds"):
        importlib.import_module(f"{account.__name__}.handlers_account_{module}")
    client = sdk.AuthenticatedClient(
        base_url=f"http://127.0.0.1:{port}/api/v1", token=api_key, prefix="", auth_header_name="X-API-KEY"
    )

    def order(**fields):
        base = {"strategy": "generated", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "product": "MIS"}
        return models.PlaceOrderRequest(**(base | fields))

    with client:
        market = api.handlers_orders_placeorder.sync(client=client, body=order(quantity=2, pricetype="MARKET"))
        limit = api.handlers_orders_placeorder.sync(client=client, body=order(quantity=3, pricetype="LIMIT", price=1.0))
        resting = account.handlers_account_orderstatus.sync(
            client=client, body=models.OrderStatusRequest(orderid=limit.orderid, strategy="generated")
        )
        modified = api.handlers_orders_modifyorder.sync(
            client=client,
            body=models.ModifyOrderRequest(
                strategy="generated",
                orderid=limit.orderid,
                exchange="NSE",
                symbol="SBIN",
                action="BUY",
                product="MIS",
                pricetype="LIMIT",
                quantity=4,
                price=1.5,
            ),
        )
        cancelled = api.handlers_orders_cancelorder.sync(
            client=client, body=models.CancelOrderRequest(orderid=limit.orderid, strategy="generated")
        )
        after = account.handlers_account_orderstatus.sync(
            client=client, body=models.OrderStatusRequest(orderid=limit.orderid)
        )
        book = account.handlers_account_orderbook.sync(client=client, body=models.ApiKeyRequest())
        trades = account.handlers_account_tradebook.sync(client=client, body=models.ApiKeyRequest())
        positions = account.handlers_account_positionbook.sync(client=client, body=models.ApiKeyRequest())
        funds = account.handlers_account_funds.sync(client=client, body=models.ApiKeyRequest())

    assert isinstance(market, models.OrderIdResponse) and isinstance(limit, models.OrderIdResponse)
    assert market.mode == "analyze"
    assert (resting.data.order_status, resting.data.quantity) == ("open", 3)
    assert isinstance(modified, models.OrderIdResponse) and modified.orderid == limit.orderid
    assert isinstance(cancelled, models.OrderIdResponse) and cancelled.orderid == limit.orderid
    assert (after.data.order_status, after.data.quantity, after.data.price) == ("cancelled", 4, 1.5)
    assert {o.orderid for o in book.data.orders} == {market.orderid, limit.orderid}
    assert book.data.statistics.total_completed_orders == 1
    assert [(t.orderid, t.quantity) for t in trades.data] == [(market.orderid, 2)]
    assert [(p.symbol, p.quantity) for p in positions.data] == [("SBIN", 2)]
    assert funds.data.utiliseddebits > 0
