"""Real-time streaming: the ZeroMQ tick bus, feed adapters and the OpenAlgo-compatible WebSocket server.

Flow: a feed adapter publishes canonical ticks per instrument on the bus (with a sequence number
per topic) -> the server's bus loop routes each tick to the connections subscribed to it, through
bounded per-connection queues -> one `market_data` frame per tick at each client's mode.
"""

from streaming.adapter import FeedStalled, StreamingAdapter, SubscriptionState
from streaming.adapters.offline import MarketSource, OfflineAdapter
from streaming.bus import (
    DEFAULT_BUS_ADDRESS,
    BusMessage,
    BusPublisher,
    BusSubscriber,
    order_topic,
    state_topic,
)
from streaming.fanout import ClientQueue
from streaming.journal import OrderJournal
from streaming.journaltail import JournalTail
from streaming.payloads import market_data_frame, project_tick, tick_payload
from streaming.protocol import EXCHANGES, ErrorCode, InstrumentKey, Mode, ProtocolError, parse_message
from streaming.server import CloseCode, ServerLimits, StreamingServer
from streaming.service import StreamingService
from streaming.subscriptions import SubscriptionRegistry

__all__ = [
    "DEFAULT_BUS_ADDRESS",
    "EXCHANGES",
    "BusMessage",
    "BusPublisher",
    "BusSubscriber",
    "ClientQueue",
    "CloseCode",
    "ErrorCode",
    "FeedStalled",
    "InstrumentKey",
    "JournalTail",
    "MarketSource",
    "Mode",
    "OfflineAdapter",
    "OrderJournal",
    "ProtocolError",
    "ServerLimits",
    "StreamingAdapter",
    "StreamingServer",
    "StreamingService",
    "SubscriptionRegistry",
    "SubscriptionState",
    "market_data_frame",
    "order_topic",
    "parse_message",
    "project_tick",
    "state_topic",
    "tick_payload",
]
