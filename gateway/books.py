"""The order- and trade-book answers: from the plugin's own JSON when it writes its books itself.

A book holds the whole day and OpenAlgo clients read it again and again, so a plugin that writes it
straight to JSON (`WritesBooksAsJson`, the sandbox) has its text wrapped in the envelope as bytes;
any other plugin's models are dumped as for every answer. Both give the same bytes.
"""

from __future__ import annotations

from connexion.lifecycle import ConnexionResponse

from brokers.contract import WritesBooksAsJson
from gateway.routing import Route, with_mode
from generated.contract import Account


def envelope(route: Route) -> tuple[bytes, bytes]:
    """The text before and after `data` in `{"status": "success", "data": ..., "mode": "analyze"}` as connexion
    prints the dict: json.dumps' separators, the keys in `with_mode`'s order and a closing newline."""
    return b'{"status": "success", "data": ', (b', "mode": "analyze"' if route.is_analyze else b"") + b"}\n"


def _json(body: bytes) -> ConnexionResponse:
    return ConnexionResponse(status_code=200, body=body, content_type="application/json", mimetype="application/json")


async def order_book(route: Route, account: Account) -> ConnexionResponse | tuple[dict, int]:
    if isinstance(route.plugin, WritesBooksAsJson):
        return _json(await route.plugin.order_book_json(account, envelope(route)))
    book = await route.plugin.order_book(account)
    return with_mode({"status": "success", "data": book.model_dump(exclude_none=True)}, route), 200


async def trade_book(route: Route, account: Account) -> ConnexionResponse | tuple[dict, int]:
    if isinstance(route.plugin, WritesBooksAsJson):
        return _json(await route.plugin.trade_book_json(account, envelope(route)))
    trades = [trade.model_dump(exclude_none=True) for trade in await route.plugin.trade_book(account)]
    return with_mode({"status": "success", "data": trades}, route), 200
