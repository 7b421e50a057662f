"""The alert to paste into each platform (OpenAlgo's tv_json and gc_json, for strategy webhooks).

TradingView strategy alerts fill `{{strategy.order.action}}` and `{{strategy.position_size}}` in
themselves; a line (indicator or drawing) alert has a fixed action. GoCharting has no strategy
placeholders, so its alert is the line form. The Amibroker snippet posts the same JSON from AFL.
Everything is built from the strategy's own mapping, so what is pasted is what the webhook takes.
"""

from __future__ import annotations

import json

from gateway.strategies.plans import mapping_for
from gateway.strategies.store import Loaded


def _compact(body: dict) -> str:
    return json.dumps(body, separators=(", ", ": "))


def build(
    loaded: Loaded,
    webhook_url: str,
    *,
    symbol: str,
    exchange: str,
    mode: str = "strategy",
    action: str | None = None,
    position_size: int | None = None,
) -> dict:
    strategy = loaded.strategy
    mapping = mapping_for(strategy, loaded.mappings, symbol, exchange)
    needs_exchange = sum(m.symbol == mapping.symbol for m in loaded.mappings) > 1
    base = {"symbol": mapping.symbol} | ({"exchange": mapping.exchange} if needs_exchange else {})
    side = (action or "BUY").upper()
    if mode == "strategy":
        tradingview = {**base, "action": "{{strategy.order.action}}", "position_size": "{{strategy.position_size}}"}
    else:
        tradingview = {**base, "action": side}
        if strategy.trading_mode == "BOTH":
            tradingview["position_size"] = str(position_size if position_size is not None else 0)
    line = {**base, "action": side}
    if strategy.trading_mode == "BOTH":
        line["position_size"] = str(position_size if position_size is not None else 0)
    return {
        "webhook_url": webhook_url,
        "tradingview": _compact(tradingview),
        "gocharting": _compact(line),
        "amibroker": _amibroker(webhook_url, mapping.symbol, base, strategy.trading_mode == "BOTH"),
        "chartink": (
            f"Webhook URL: {webhook_url}\nName the scan with one action word (BUY, SELL, SHORT or COVER), "
            f'e.g. "{strategy.name} Buy"; map each stock it may list (NSE) in the strategy.'
        ),
    }


def _amibroker(webhook_url: str, symbol: str, base: dict, with_position: bool) -> str:
    exchange = f'\\"exchange\\": \\"{base["exchange"]}\\", ' if "exchange" in base else ""
    position = ' + ", \\"position_size\\": \\"" + NumToStr(size, 1.0, False) + "\\""' if with_position else ""
    return (
        '// brokergate webhook alert: paste into your AFL, then call SendAlert("BUY", size) on a signal\n'
        f'WebhookUrl = "{webhook_url}";\n'
        "function SendAlert(action, size)\n"
        "{\n"
        f'    body = "{{\\"symbol\\": \\"{symbol}\\", {exchange}\\"action\\": \\"" + action + "\\""{position} + "}}";\n'
        '    InternetSetHeaders("Content-Type: application/json\\r\\n");\n'
        "    ih = InternetPostRequest(WebhookUrl, body);\n"
        '    if (ih) { _TRACE("brokergate: " + InternetReadString(ih)); InternetClose(ih); }\n'
        "}\n"
        '// e.g. if (LastValue(Buy)) SendAlert("BUY", 0); if (LastValue(Sell)) SendAlert("SELL", 0);\n'
    )
