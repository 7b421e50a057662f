"""What an alert means: the orders a strategy alert or a Chartink scan stands for, and when it may trade.

Pure functions over a strategy, its mappings and the delivered alert; they raise the typed refusal
(symbol not mapped, outside the window, no action) before anything is stored or placed. A planned
order is `{"kind": "placeorder" | "smartorder", "request": {...}}`, fields as `/api/v1` names them.

Modes, as OpenAlgo's: LONG: BUY enters with an order, SELL exits with a smart order to 0. SHORT
mirrors it. BOTH: a smart order moves the position to `position_size`, whatever the action, so a
SELL from 2 to 1 scales out (OpenAlgo refuses it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time

from generated.errors import OutsideTradingWindow, StrategyInactive, SymbolNotMapped, ValidationFailed
from generated.webhooks import ChartinkAlert, StrategyAlert
from sandbox.market import IST
from storage import Strategy, StrategySymbol

ENTRY, EXIT = "entry", "exit"
MAX_CHARTINK_STOCKS = 200
_WORDS = re.compile(r"[A-Za-z]+")


def clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def check_window(
    strategy: Strategy, exchange: str, moment: datetime, intent: str, is_trading_day: Callable[[date, str], bool]
) -> None:
    """Refuse an intraday strategy's alert on a non-trading day or outside its window.

    Entries are taken from the start to the end time, exits from the start to the square-off time.
    """
    if not strategy.is_intraday:
        return
    local = moment.astimezone(IST)
    if not is_trading_day(local.date(), exchange):
        raise OutsideTradingWindow(
            f"{local.date().isoformat()} is not a trading day on {exchange}; strategy {strategy.name} trades intraday",
            reason="holiday",
        )
    now = local.time().replace(second=0, microsecond=0)
    start = clock_time(strategy.start_time)
    last = clock_time(strategy.end_time if intent == ENTRY else strategy.squareoff_time)
    if not start <= now < last:
        ends = "end" if intent == ENTRY else "square-off"
        raise OutsideTradingWindow(
            f"An {intent} for strategy {strategy.name} is taken from {strategy.start_time} to "
            f"{last.strftime('%H:%M')} IST ({ends} time); it is {now.strftime('%H:%M')} IST",
            reason="window",
        )


def require_active(strategy: Strategy) -> None:
    if not strategy.is_active:
        raise StrategyInactive(f"Strategy {strategy.name} is not active; activate it to take alerts")


def mapping_for(
    strategy: Strategy, mappings: list[StrategySymbol], symbol: str, exchange: str | None
) -> StrategySymbol:
    found = [m for m in mappings if m.symbol == symbol.upper() and (exchange is None or m.exchange == exchange)]
    if not found:
        where = f" on {exchange}" if exchange else ""
        raise SymbolNotMapped(f"{symbol}{where} is not mapped in strategy {strategy.name}", field="symbol")
    if len(found) > 1:
        exchanges = ", ".join(m.exchange for m in found)
        raise ValidationFailed(
            f"{symbol} is mapped on {exchanges} in strategy {strategy.name}; send exchange to choose",
            errors={"exchange": [f"Choose one of {exchanges}."]},
        )
    return found[0]


def _order(strategy: Strategy, mapping: StrategySymbol, action: str, quantity: int) -> dict:
    return {
        "kind": "placeorder",
        "request": {
            "strategy": strategy.name,
            "symbol": mapping.symbol,
            "exchange": mapping.exchange,
            "action": action,
            "quantity": quantity,
            "pricetype": "MARKET",
            "product": mapping.product,
        },
    }


def _smart(strategy: Strategy, mapping: StrategySymbol, action: str, quantity: int, position_size: int) -> dict:
    planned = _order(strategy, mapping, action, quantity)
    planned["kind"] = "smartorder"
    planned["request"]["position_size"] = position_size
    return planned


def _whole(value: float, name: str) -> int:
    if value != int(value):
        raise ValidationFailed(f"{name} must be a whole number", errors={name: ["Not a valid integer."]})
    return int(value)


def strategy_alert_plan(
    strategy: Strategy, mappings: list[StrategySymbol], alert: StrategyAlert
) -> tuple[dict, str, StrategySymbol]:
    """The one order a TradingView, GoCharting or Amibroker alert stands for, whether it enters or exits, and its mapping."""
    action = alert.action.upper()
    mapping = mapping_for(strategy, mappings, alert.symbol, alert.exchange)
    position = None if alert.position_size is None else _whole(alert.position_size, "position_size")
    if strategy.trading_mode == "BOTH":
        if position is None:
            raise ValidationFailed(
                f"position_size is required: strategy {strategy.name} trades in BOTH mode",
                errors={"position_size": ["Missing data for required field."]},
            )
        quantity = 0 if position == 0 else (alert.quantity or mapping.quantity)
        return _smart(strategy, mapping, action, quantity, position), (EXIT if position == 0 else ENTRY), mapping
    enters = "BUY" if strategy.trading_mode == "LONG" else "SELL"
    if action == enters:
        quantity = alert.quantity or (abs(position) if position else mapping.quantity)
        return _order(strategy, mapping, action, quantity), ENTRY, mapping
    return _smart(strategy, mapping, action, 0, 0), EXIT, mapping


# Chartink scan-name words, and what each means: (side of the order, entry or exit, the mode it needs).
_CHARTINK_ACTIONS = {
    "BUY": ("BUY", ENTRY, "LONG"),
    "SELL": ("SELL", EXIT, "LONG"),
    "SHORT": ("SELL", ENTRY, "SHORT"),
    "COVER": ("BUY", EXIT, "SHORT"),
}


def chartink_action(scan_name: str) -> str:
    """BUY, SELL, SHORT or COVER from the scan name's whole words; "Short Cover" covers, "Short Sell" shorts."""
    words = {word.upper() for word in _WORDS.findall(scan_name)} & set(_CHARTINK_ACTIONS)
    if {"SHORT", "COVER"} <= words:
        words -= {"SHORT"}
    if {"SHORT", "SELL"} <= words:
        words -= {"SELL"}
    if len(words) != 1:
        found = " and ".join(sorted(words)) if words else "no action word"
        raise ValidationFailed(
            f"The scan name {scan_name!r} must name one action as a word (BUY, SELL, SHORT or COVER); it has {found}",
            errors={"scan_name": ["Name one of BUY, SELL, SHORT, COVER."]},
        )
    return words.pop()


def chartink_plan(
    strategy: Strategy, mappings: list[StrategySymbol], alert: ChartinkAlert
) -> tuple[list[dict], str, list[str], list[StrategySymbol]]:
    """One order per mapped stock of the scan; the stocks the strategy does not map are returned to report."""
    word = chartink_action(alert.scan_name)
    side, intent, needs = _CHARTINK_ACTIONS[word]
    if strategy.trading_mode not in ("BOTH", needs):
        raise ValidationFailed(
            f"A {word} scan needs a {needs} or BOTH strategy; {strategy.name} trades {strategy.trading_mode}",
            errors={"scan_name": [f"{word} is not allowed in {strategy.trading_mode} mode."]},
        )
    stocks = [stock.strip().upper() for stock in alert.stocks.split(",") if stock.strip()]
    if not stocks:
        raise ValidationFailed("The alert lists no stocks", errors={"stocks": ["List at least one stock."]})
    if len(stocks) > MAX_CHARTINK_STOCKS:
        message = f"At most {MAX_CHARTINK_STOCKS} stocks per alert; this one lists {len(stocks)}"
        raise ValidationFailed(message, errors={"stocks": [message]})
    by_symbol = {m.symbol: m for m in mappings if m.exchange in ("NSE", "BSE")}
    plan, skipped, used = [], [], []
    for stock in dict.fromkeys(stocks):
        mapping = by_symbol.get(stock)
        if mapping is None:
            skipped.append(stock)
            continue
        used.append(mapping)
        if intent == ENTRY:
            plan.append(_order(strategy, mapping, side, mapping.quantity))
        else:
            plan.append(_smart(strategy, mapping, side, 0, 0))
    if not plan:
        raise SymbolNotMapped(f"None of {', '.join(stocks[:20])} is mapped in strategy {strategy.name}", field="stocks")
    return plan, intent, skipped, used


def squareoff_plan(strategy: Strategy, mappings: list[StrategySymbol]) -> list[dict]:
    """A smart order to 0 for every mapped symbol: whatever is open is closed, nothing else is placed."""
    return [_smart(strategy, mapping, "SELL", 0, 0) for mapping in mappings]
