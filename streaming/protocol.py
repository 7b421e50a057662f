"""Parse and validate the JSON messages a WebSocket client sends, in OpenAlgo's dialect.

Every malformed frame becomes a `ProtocolError` carrying one of the documented error codes, so the
server can answer with a typed error instead of failing. The parser is deliberately liberal where
OpenAlgo's clients disagree with each other (`action` or `type`, `api_key` or `apikey`, list or
single-symbol form, `depth` or `depth_level`, `symbols` or the documented `instruments`), and
strict where a value drives state (mode, exchange, depth).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = [
    "EXCHANGES",
    "SUPPORTED_DEPTHS",
    "Authenticate",
    "ClientRequest",
    "ErrorCode",
    "GetBrokerInfo",
    "GetSupportedBrokers",
    "InstrumentKey",
    "Mode",
    "Ping",
    "ProtocolError",
    "Subscribe",
    "SubscribeOrders",
    "Unsubscribe",
    "UnsubscribeOrders",
    "parse_message",
]

# OpenAlgo's VALID_EXCHANGES, in its order (reference/openalgo-rest-api.md §2.1).
EXCHANGES = (
    "NSE", "NFO", "CDS", "BSE", "BFO", "BCD", "MCX", "NCDEX", "NCO",
    "NSE_INDEX", "BSE_INDEX", "MCX_INDEX", "GLOBAL_INDEX", "CRYPTO",
)  # fmt: skip
SUPPORTED_DEPTHS = (5,)
_MAX_SYMBOL_LENGTH = 64


class ErrorCode:
    """Codes of the `{"status": "error", "code": ...}` frames; OpenAlgo's plus ours (marked)."""

    INVALID_JSON = "INVALID_JSON"
    INVALID_ACTION = "INVALID_ACTION"
    INVALID_PARAMETERS = "INVALID_PARAMETERS"
    INVALID_MODE = "INVALID_MODE"
    INVALID_DEPTH = "INVALID_DEPTH"
    INVALID_EXCHANGE = "INVALID_EXCHANGE"  # ours: OpenAlgo passes unknown exchanges to the adapter
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    SUBSCRIPTION_LIMIT = "SUBSCRIPTION_LIMIT"  # ours: OpenAlgo has no per-client limit
    CONNECTION_LIMIT = "CONNECTION_LIMIT"  # ours: OpenAlgo has no per-user limit
    BROKER_ERROR = "BROKER_ERROR"
    BROKER_LIST_ERROR = "BROKER_LIST_ERROR"
    SERVER_ERROR = "SERVER_ERROR"


class ProtocolError(Exception):
    """A client message that cannot be served; `code` is one of `ErrorCode`."""

    def __init__(self, code: str, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


class Mode(IntEnum):
    LTP = 1
    QUOTE = 2
    DEPTH = 3

    @property
    def label(self) -> str:
        """The label OpenAlgo puts in subscribe acknowledgements."""
        return _MODE_LABELS[self]


_MODE_LABELS = {Mode.LTP: "LTP", Mode.QUOTE: "Quote", Mode.DEPTH: "Depth"}
_MODE_BY_NAME = {label.lower(): mode for mode, label in _MODE_LABELS.items()}


@dataclass(frozen=True, slots=True)
class InstrumentKey:
    exchange: str
    symbol: str

    @property
    def topic(self) -> str:
        """The bus topic of this instrument's ticks."""
        return f"{self.exchange}:{self.symbol}"


@dataclass(frozen=True, slots=True)
class ClientRequest:
    request_id: Any = None


@dataclass(frozen=True, slots=True)
class Authenticate(ClientRequest):
    api_key: str = ""


@dataclass(frozen=True, slots=True)
class Subscribe(ClientRequest):
    instruments: tuple[InstrumentKey, ...] = ()
    mode: Mode = Mode.QUOTE
    depth: int = 5


@dataclass(frozen=True, slots=True)
class Unsubscribe(ClientRequest):
    # Each item carries its own mode; None removes every mode of that instrument.
    items: tuple[tuple[InstrumentKey, Mode | None], ...] = ()
    everything: bool = False


@dataclass(frozen=True, slots=True)
class SubscribeOrders(ClientRequest):
    since: int | None = None  # the last order_update sequence the client saw; replay what came after


@dataclass(frozen=True, slots=True)
class UnsubscribeOrders(ClientRequest):
    pass


@dataclass(frozen=True, slots=True)
class Ping(ClientRequest):
    echo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GetBrokerInfo(ClientRequest):
    pass


@dataclass(frozen=True, slots=True)
class GetSupportedBrokers(ClientRequest):
    pass


def parse_mode(value: Any, *, default: Mode | None) -> Mode | None:
    """Read 1/2/3 or "LTP"/"Quote"/"Depth" in any case; bools, floats and other text are refused."""
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2, 3):
        return Mode(value)
    if isinstance(value, str) and value.strip().lower() in _MODE_BY_NAME:
        return _MODE_BY_NAME[value.strip().lower()]
    raise ProtocolError(
        ErrorCode.INVALID_MODE, f"Invalid mode {value!r}: expected 1, 2, 3, 'LTP', 'Quote' or 'Depth'"
    )


def _parse_instrument(item: Any, where: str) -> InstrumentKey:
    if not isinstance(item, dict):
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETERS, f"{where} must be an object with symbol and exchange"
        )
    symbol, exchange = item.get("symbol"), item.get("exchange")
    for name, value in (("symbol", symbol), ("exchange", exchange)):
        if not isinstance(value, str) or not value.strip():
            raise ProtocolError(ErrorCode.INVALID_PARAMETERS, f"{where}: field '{name}' is required")
    # Kept as sent: acknowledgements and ticks echo the client's own spelling back.
    symbol, exchange = symbol.strip(), exchange.strip()
    if len(symbol) > _MAX_SYMBOL_LENGTH:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETERS, f"{where}: symbol is longer than {_MAX_SYMBOL_LENGTH}"
        )
    if exchange not in EXCHANGES:
        raise ProtocolError(
            ErrorCode.INVALID_EXCHANGE,
            f"{where}: unknown exchange '{exchange}', expected one of {', '.join(EXCHANGES)}",
        )
    return InstrumentKey(exchange=exchange, symbol=symbol)


def _symbol_items(data: dict[str, Any]) -> list[Any] | None:
    items = data.get("symbols", data.get("instruments"))
    if items is None:
        return None
    if not isinstance(items, list) or not items:
        raise ProtocolError(ErrorCode.INVALID_PARAMETERS, "'symbols' must be a non-empty list")
    return items


def _parse_subscribe(data: dict[str, Any], request_id: Any) -> Subscribe:
    # The list form applies the top-level mode to every item, as OpenAlgo's server does.
    mode = parse_mode(data.get("mode"), default=Mode.QUOTE)
    depth = data.get("depth", data.get("depth_level", 5))
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise ProtocolError(ErrorCode.INVALID_DEPTH, f"Invalid depth level {depth!r}: expected an integer")
    if depth not in SUPPORTED_DEPTHS:
        raise ProtocolError(ErrorCode.INVALID_DEPTH, f"Invalid depth level {depth}. Must be 5")
    items = _symbol_items(data)
    if items is None:
        if "symbol" not in data and "exchange" not in data:
            raise ProtocolError(ErrorCode.INVALID_PARAMETERS, "At least one symbol must be specified")
        items = [data]
    instruments = tuple(_parse_instrument(item, f"symbols[{index}]") for index, item in enumerate(items))
    return Subscribe(request_id=request_id, instruments=instruments, mode=mode, depth=depth)


def _parse_unsubscribe(data: dict[str, Any], request_id: Any) -> Unsubscribe:
    # Unlike OpenAlgo (which silently defaults a list item to Quote), an item without a mode falls
    # back to the top-level mode, and with neither every mode of that instrument is removed.
    top_mode = parse_mode(data.get("mode"), default=None)
    items = _symbol_items(data)
    if items is None:
        if "symbol" not in data and "exchange" not in data:
            raise ProtocolError(ErrorCode.INVALID_PARAMETERS, "Either symbols or unsubscribe_all is required")
        items = [data]
    parsed = []
    for index, item in enumerate(items):
        key = _parse_instrument(item, f"symbols[{index}]")
        mode = parse_mode(item.get("mode"), default=top_mode) if item is not data else top_mode
        parsed.append((key, mode))
    return Unsubscribe(request_id=request_id, items=tuple(parsed))


def _parse_authenticate(data: dict[str, Any], request_id: Any) -> Authenticate:
    api_key = data.get("api_key", data.get("apikey"))
    if not isinstance(api_key, str) or not api_key.strip():
        raise ProtocolError(ErrorCode.AUTHENTICATION_ERROR, "API key is required")
    return Authenticate(request_id=request_id, api_key=api_key.strip())


def _parse_since(data: dict[str, Any]) -> int | None:
    since = data.get("since")
    if since is None:
        return None
    if isinstance(since, bool) or not isinstance(since, int) or since < 0:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETERS, f"since must be a whole number of at least 0 (a sequence), not {since!r:.32}"
        )
    return since


def _parse_ping(data: dict[str, Any], request_id: Any) -> Ping:
    echo = {}
    if "timestamp" in data:
        echo["client_timestamp"] = data["timestamp"]
    if "_pingId" in data:
        echo["_pingId"] = data["_pingId"]
    return Ping(request_id=request_id, echo=echo)


_PARSERS = {
    "authenticate": _parse_authenticate,
    "auth": _parse_authenticate,
    "subscribe": _parse_subscribe,
    "unsubscribe": _parse_unsubscribe,
    "unsubscribe_all": lambda data, request_id: Unsubscribe(request_id=request_id, everything=True),
    "subscribe_orders": lambda data, request_id: SubscribeOrders(request_id=request_id, since=_parse_since(data)),
    "unsubscribe_orders": lambda data, request_id: UnsubscribeOrders(request_id=request_id),
    "ping": _parse_ping,
    "get_broker_info": lambda data, request_id: GetBrokerInfo(request_id=request_id),
    "get_supported_brokers": lambda data, request_id: GetSupportedBrokers(request_id=request_id),
}


def parse_message(text: str | bytes) -> ClientRequest:
    """Turn one client frame into a typed request, or raise `ProtocolError` naming what was wrong."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise ProtocolError(ErrorCode.INVALID_JSON, f"Invalid JSON message: {e}") from e
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.INVALID_JSON, "Invalid JSON message: expected an object")
    request_id = data.get("request_id")
    action = data.get("action") or data.get("type")
    if not isinstance(action, str) or not action:
        raise ProtocolError(ErrorCode.INVALID_ACTION, "Invalid action: 'action' is required", request_id)
    parser = _PARSERS.get(action.strip().lower())
    if parser is None:
        raise ProtocolError(ErrorCode.INVALID_ACTION, f"Invalid action: {action[:64]}", request_id)
    try:
        return parser(data, request_id)
    except ProtocolError as e:
        e.request_id = request_id
        raise
