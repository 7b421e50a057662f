"""What the `openalgo` Python SDK 2.0.5 puts on the wire, method by method.

The SDK needs Python >= 3.12 and brokergate runs on 3.11, so it cannot be installed next to the
tests. `OpenAlgoWire` mirrors how each SDK method builds its payload instead (the method table of
OpenAlgo's SDK, version 2.0.5): order methods send `quantity` and every extra keyword as a string,
`orderstatus`, `cancelorder` and `modifyorder` send `orderid` as given, `strategy` defaults to
"Python", GTT methods send numbers as numbers, `instruments` is the only GET. Every payload carries
`apikey`. Each method returns the server's status code and JSON body, untouched by the SDK's own
post-processing, so the tests see the wire.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

# (HTTP method, endpoint, JSON payload or query parameters) -> (status code, decoded body)
Send = Callable[[str, str, dict[str, Any]], tuple[int, Any]]

INSTRUMENT_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "MCX", "CDS", "BCD", "NSE_INDEX", "BSE_INDEX")


def _stringified(values: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in values.items()}


class OpenAlgoWire:
    """The SDK's `api(api_key=..., host=...)` client, reduced to the requests it sends."""

    def __init__(self, api_key: str, send: Send) -> None:
        self.api_key = api_key
        self._send = send

    def _post(self, endpoint: str, payload: dict[str, Any]) -> tuple[int, Any]:
        return self._send("POST", endpoint, {"apikey": self.api_key, **payload})

    # OrderAPI

    def placeorder(
        self, *, strategy="Python", symbol, action, exchange, price_type="MARKET", product="MIS", quantity=1, **kwargs
    ):
        payload = {
            "strategy": strategy,
            "symbol": symbol,
            "action": action,
            "exchange": exchange,
            "pricetype": price_type,
            "product": product,
            "quantity": str(quantity),
        }
        return self._post("placeorder", payload | _stringified(kwargs))

    def placesmartorder(
        self,
        *,
        strategy="Python",
        symbol,
        action,
        exchange,
        price_type="MARKET",
        product="MIS",
        quantity=1,
        position_size,
        **kwargs,
    ):
        payload = {
            "strategy": strategy,
            "symbol": symbol,
            "action": action,
            "exchange": exchange,
            "pricetype": price_type,
            "product": product,
            "quantity": str(quantity),
            "position_size": str(position_size),
        }
        return self._post("placesmartorder", payload | _stringified(kwargs))

    def basketorder(self, *, strategy="Python", orders, **kwargs):
        items = [
            {key: str(value) if isinstance(value, int | float) else value for key, value in order.items()}
            for order in orders
        ]
        return self._post("basketorder", {"strategy": strategy, "orders": items} | _stringified(kwargs))

    def splitorder(
        self,
        *,
        strategy="Python",
        symbol,
        action,
        exchange,
        quantity,
        splitsize,
        price_type="MARKET",
        product="MIS",
        **kwargs,
    ):
        payload = {
            "strategy": strategy,
            "symbol": symbol,
            "action": action,
            "exchange": exchange,
            "quantity": str(quantity),
            "splitsize": str(splitsize),
            "pricetype": price_type,
            "product": product,
        }
        return self._post("splitorder", payload | _stringified(kwargs))

    def orderstatus(self, *, order_id, strategy="Python", **kwargs):
        return self._post("orderstatus", {"strategy": strategy, "orderid": order_id} | _stringified(kwargs))

    def openposition(self, *, strategy="Python", symbol, exchange, product, **kwargs):
        return self._post(
            "openposition", {"strategy": strategy, "symbol": symbol, "exchange": exchange, "product": product}
        )

    def modifyorder(
        self,
        *,
        order_id,
        strategy="Python",
        symbol,
        action,
        exchange,
        price_type="LIMIT",
        product,
        quantity,
        price,
        disclosed_quantity="0",
        trigger_price="0",
        **kwargs,
    ):
        payload = {
            "orderid": order_id,
            "strategy": strategy,
            "symbol": symbol,
            "action": action,
            "exchange": exchange,
            "pricetype": price_type,
            "product": product,
            "quantity": str(quantity),
            "price": str(price),
            "disclosed_quantity": str(disclosed_quantity),
            "trigger_price": str(trigger_price),
        }
        return self._post("modifyorder", payload | _stringified(kwargs))

    def cancelorder(self, *, order_id, strategy="Python", **kwargs):
        return self._post("cancelorder", {"orderid": order_id, "strategy": strategy})

    def closeposition(self, *, strategy="Python", **kwargs):
        return self._post("closeposition", {"strategy": strategy})

    def cancelallorder(self, *, strategy="Python", **kwargs):
        return self._post("cancelallorder", {"strategy": strategy})

    # GTTAPI: numbers stay numbers, trigger_type and action are made uppercase.

    def _gtt(
        self,
        *,
        strategy,
        symbol,
        action,
        exchange,
        trigger_type,
        product,
        quantity,
        price_type,
        price,
        triggerprice_sl,
        triggerprice_tg,
        stoploss,
        target,
    ) -> dict[str, Any]:
        return {
            "strategy": strategy,
            "trigger_type": trigger_type.upper(),
            "exchange": exchange,
            "symbol": symbol,
            "action": action.upper(),
            "product": product,
            "quantity": quantity,
            "pricetype": price_type,
            "price": float(price),
            "triggerprice_sl": float(triggerprice_sl),
            "triggerprice_tg": float(triggerprice_tg),
            "stoploss": None if stoploss is None else float(stoploss),
            "target": None if target is None else float(target),
        }

    def placegttorder(
        self,
        *,
        strategy="Python",
        symbol,
        action,
        exchange,
        trigger_type="SINGLE",
        product="CNC",
        quantity=1,
        price_type="LIMIT",
        price=0,
        triggerprice_sl=0,
        triggerprice_tg=0,
        stoploss=None,
        target=None,
        **kwargs,
    ):
        payload = self._gtt(
            strategy=strategy,
            symbol=symbol,
            action=action,
            exchange=exchange,
            trigger_type=trigger_type,
            product=product,
            quantity=quantity,
            price_type=price_type,
            price=price,
            triggerprice_sl=triggerprice_sl,
            triggerprice_tg=triggerprice_tg,
            stoploss=stoploss,
            target=target,
        )
        return self._post("placegttorder", payload | kwargs)

    def modifygttorder(
        self,
        *,
        trigger_id,
        strategy="Python",
        symbol,
        action,
        exchange,
        trigger_type="SINGLE",
        product="CNC",
        quantity=1,
        price_type="LIMIT",
        price=0,
        triggerprice_sl=0,
        triggerprice_tg=0,
        stoploss=None,
        target=None,
        **kwargs,
    ):
        payload = self._gtt(
            strategy=strategy,
            symbol=symbol,
            action=action,
            exchange=exchange,
            trigger_type=trigger_type,
            product=product,
            quantity=quantity,
            price_type=price_type,
            price=price,
            triggerprice_sl=triggerprice_sl,
            triggerprice_tg=triggerprice_tg,
            stoploss=stoploss,
            target=target,
        )
        return self._post("modifygttorder", {"trigger_id": str(trigger_id)} | payload | kwargs)

    def cancelgttorder(self, *, trigger_id, strategy="Python", **kwargs):
        return self._post("cancelgttorder", {"strategy": strategy, "trigger_id": str(trigger_id)} | kwargs)

    def gttorderbook(self, **kwargs):
        return self._post("gttorderbook", kwargs)

    # DataAPI

    def quotes(self, *, symbol, exchange, **kwargs):
        return self._post("quotes", {"symbol": symbol, "exchange": exchange})

    def multiquotes(self, *, symbols, **kwargs):
        return self._post("multiquotes", {"symbols": symbols})

    def depth(self, *, symbol, exchange, **kwargs):
        return self._post("depth", {"symbol": symbol, "exchange": exchange})

    def symbol(self, *, symbol, exchange, **kwargs):
        return self._post("symbol", {"symbol": symbol, "exchange": exchange})

    def search(self, *, query, exchange=None, **kwargs):
        return self._post("search", {"query": query} | ({"exchange": exchange} if exchange else {}))

    def history(self, *, symbol, exchange, interval, start_date, end_date, source="api", **kwargs):
        payload = {
            "symbol": symbol,
            "exchange": exchange,
            "interval": interval,
            "start_date": start_date,
            "end_date": end_date,
            "source": source,
        }
        return self._post("history", payload)

    def intervals(self, **kwargs):
        return self._post("intervals", {})

    def expiry(self, *, symbol, exchange, instrumenttype, **kwargs):
        return self._post("expiry", {"symbol": symbol, "exchange": exchange, "instrumenttype": instrumenttype})

    def instruments(self, *, exchange=None):
        """One GET per exchange; without one, the SDK asks for nine and concatenates them."""
        exchanges = [exchange] if exchange else list(INSTRUMENT_EXCHANGES)
        answers = [self._send("GET", "instruments", {"apikey": self.api_key, "exchange": name}) for name in exchanges]
        failed = [answer for answer in answers if answer[0] != 200]
        if failed:
            return failed[0]
        return 200, {"status": "success", "data": [row for _status, body in answers for row in body["data"]]}

    def syntheticfuture(self, *, underlying, exchange, expiry_date, **kwargs):
        return self._post("syntheticfuture", {"underlying": underlying, "exchange": exchange, "expiry_date": expiry_date})

    # AccountAPI

    def funds(self, **kwargs):
        return self._post("funds", kwargs)

    def orderbook(self, **kwargs):
        return self._post("orderbook", kwargs)

    def tradebook(self, **kwargs):
        return self._post("tradebook", kwargs)

    def positionbook(self, **kwargs):
        return self._post("positionbook", kwargs)

    def holdings(self, **kwargs):
        return self._post("holdings", kwargs)

    def analyzerstatus(self, **kwargs):
        return self._post("analyzer", {})

    def analyzertoggle(self, mode, **kwargs):
        return self._post("analyzer/toggle", {"mode": mode})

    def margin(self, *, positions, **kwargs):
        items = [
            {
                "symbol": position["symbol"],
                "exchange": position["exchange"],
                "action": position["action"],
                "quantity": str(position["quantity"]),
                "product": position["product"],
                "pricetype": position["pricetype"],
                "price": str(position.get("price", "0")),
                "trigger_price": str(position.get("trigger_price", "0")),
            }
            for position in positions
        ]
        return self._post("margin", {"positions": items})

    # OptionsAPI

    def optiongreeks(
        self,
        *,
        symbol,
        exchange,
        interest_rate=None,
        forward_price=None,
        underlying_symbol=None,
        underlying_exchange=None,
        expiry_time=None,
        **kwargs,
    ):
        optional = {
            "interest_rate": interest_rate,
            "forward_price": forward_price,
            "underlying_symbol": underlying_symbol,
            "underlying_exchange": underlying_exchange,
            "expiry_time": expiry_time,
        }
        payload = {"symbol": symbol, "exchange": exchange}
        return self._post("optiongreeks", payload | {key: value for key, value in optional.items() if value is not None})

    def optionsorder(
        self,
        *,
        strategy="Python",
        underlying,
        exchange,
        strike_int=None,
        offset,
        option_type,
        action,
        quantity,
        expiry_date=None,
        price_type="MARKET",
        product="MIS",
        **kwargs,
    ):
        payload = {
            "strategy": strategy,
            "underlying": underlying,
            "exchange": exchange,
            "offset": offset,
            "option_type": option_type,
            "action": action,
            "quantity": str(quantity),
            "pricetype": price_type,
            "product": product,
        }
        if strike_int is not None:
            payload["strike_int"] = str(strike_int)
        if expiry_date:
            payload["expiry_date"] = expiry_date
        return self._post("optionsorder", payload | _stringified(kwargs))

    def optionsymbol(
        self, *, strategy=None, underlying, exchange, strike_int=None, offset, option_type, expiry_date=None, **kwargs
    ):
        payload = {"underlying": underlying, "exchange": exchange, "offset": offset, "option_type": option_type}
        if strategy:
            payload["strategy"] = strategy
        if strike_int is not None:
            payload["strike_int"] = str(strike_int)
        if expiry_date:
            payload["expiry_date"] = expiry_date
        return self._post("optionsymbol", payload | _stringified(kwargs))

    def optionsmultiorder(self, *, strategy="Python", underlying, exchange, legs, expiry_date=None, strike_int=None, **kwargs):
        wire_legs = []
        for leg in legs:
            item = {
                "offset": leg["offset"],
                "option_type": leg["option_type"],
                "action": leg["action"],
                "quantity": int(leg["quantity"]),
            }
            for name, kind in (
                ("expiry_date", str),
                ("pricetype", str),
                ("product", str),
                ("price", float),
                ("trigger_price", float),
                ("disclosed_quantity", int),
            ):
                if name in leg:
                    item[name] = kind(leg[name])
            wire_legs.append(item)  # a leg's `splitsize` is dropped, as the SDK drops it
        payload = {"strategy": strategy, "underlying": underlying, "exchange": exchange, "legs": wire_legs}
        if strike_int is not None:
            payload["strike_int"] = int(strike_int)
        if expiry_date:
            payload["expiry_date"] = expiry_date
        return self._post("optionsmultiorder", payload)

    def optionchain(self, *, underlying, exchange, expiry_date=None, strike_count=None, **kwargs):
        payload = {"underlying": underlying, "exchange": exchange}
        if expiry_date:
            payload["expiry_date"] = expiry_date
        if strike_count is not None:
            payload["strike_count"] = int(strike_count)
        return self._post("optionchain", payload | kwargs)

    # UtilitiesAPI

    def holidays(self, year=None):
        return self._post("market/holidays", {} if year is None else {"year": year})

    def timings(self, date=None):
        return self._post("market/timings", {"date": date or datetime.date.today().isoformat()})

    # TelegramAPI, WhatsAppAPI

    def telegram(self, *, username, message, priority=5, **kwargs):
        return self._post("telegram/notify", {"username": username, "message": message, "priority": priority})

    def whatsapp(self, message=None, *, to=None, username=None, wait_for_delivery=True, **kwargs):
        target = {"username": username} if username else {"phone": to} if to else {"self": True}
        return self._post("whatsapp/notify", target | {"message": message, "wait_for_delivery": wait_for_delivery})

    # StrategyAPI: every call names the strategy by its numeric id.

    def strategy(self, action: str, **fields):
        return self._post(f"strategy/{action}", fields)
