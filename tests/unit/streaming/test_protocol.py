import json

import pytest

from streaming.protocol import (
    Authenticate,
    ErrorCode,
    InstrumentKey,
    Mode,
    Ping,
    ProtocolError,
    Subscribe,
    Unsubscribe,
    parse_message,
)

pytestmark = pytest.mark.websocket


def test_authenticate_accepts_both_key_spellings_and_the_auth_alias():
    first = parse_message('{"action": "authenticate", "api_key": "k1"}')
    second = parse_message('{"action": "auth", "apikey": "k2"}')
    third = parse_message('{"type": "authenticate", "api_key": "k3"}')

    assert first == Authenticate(api_key="k1")
    assert second == Authenticate(api_key="k2")
    assert third == Authenticate(api_key="k3")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (1, Mode.LTP),
        (2, Mode.QUOTE),
        (3, Mode.DEPTH),
        ("LTP", Mode.LTP),
        (" quote ", Mode.QUOTE),
        ("DEPTH", Mode.DEPTH),
    ],
)
def test_subscribe_reads_numeric_and_labelled_modes(mode, expected):
    request = parse_message(
        json.dumps({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": mode})
    )

    assert request == Subscribe(instruments=(InstrumentKey("NSE", "SBIN"),), mode=expected, depth=5)


def test_subscribe_list_form_applies_the_top_level_mode_and_echoes_request_id():
    message = {
        "action": "subscribe",
        "symbols": [{"symbol": "RELIANCE", "exchange": "NSE"}, {"symbol": "NIFTY", "exchange": "NSE_INDEX"}],
        "mode": "LTP",
        "request_id": "r1",
    }

    request = parse_message(json.dumps(message))

    assert request.instruments == (InstrumentKey("NSE", "RELIANCE"), InstrumentKey("NSE_INDEX", "NIFTY"))
    assert request.mode is Mode.LTP and request.request_id == "r1"


def test_subscribe_without_mode_defaults_to_quote_like_openalgo():
    request = parse_message('{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE"}')

    assert request.mode is Mode.QUOTE


def test_unsubscribe_item_mode_falls_back_to_top_level_mode_then_to_all_modes():
    with_top = parse_message(
        '{"action": "unsubscribe", "mode": "LTP", "symbols": [{"symbol": "A", "exchange": "NSE"},'
        ' {"symbol": "B", "exchange": "NSE", "mode": 3}]}'
    )
    without = parse_message('{"action": "unsubscribe", "symbols": [{"symbol": "A", "exchange": "NSE"}]}')

    assert with_top.items == ((InstrumentKey("NSE", "A"), Mode.LTP), (InstrumentKey("NSE", "B"), Mode.DEPTH))
    assert without.items == ((InstrumentKey("NSE", "A"), None),)


def test_unsubscribe_all_and_ping_echo():
    everything = parse_message('{"type": "unsubscribe_all"}')
    ping = parse_message('{"action": "ping", "timestamp": 17, "_pingId": 7}')

    assert everything == Unsubscribe(everything=True)
    assert ping == Ping(echo={"client_timestamp": 17, "_pingId": 7})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", ErrorCode.INVALID_JSON),
        ("[1, 2]", ErrorCode.INVALID_JSON),
        ('{"symbol": "SBIN"}', ErrorCode.INVALID_ACTION),
        ('{"action": "teleport"}', ErrorCode.INVALID_ACTION),
        ('{"action": "authenticate"}', ErrorCode.AUTHENTICATION_ERROR),
        ('{"action": "subscribe"}', ErrorCode.INVALID_PARAMETERS),
        ('{"action": "subscribe", "symbols": []}', ErrorCode.INVALID_PARAMETERS),
        ('{"action": "subscribe", "symbols": ["SBIN"]}', ErrorCode.INVALID_PARAMETERS),
        ('{"action": "subscribe", "symbols": [{"symbol": "SBIN"}]}', ErrorCode.INVALID_PARAMETERS),
        ('{"action": "subscribe", "symbol": "SBIN", "exchange": "NASDAQ"}', ErrorCode.INVALID_EXCHANGE),
        ('{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 4}', ErrorCode.INVALID_MODE),
        (
            '{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": true}',
            ErrorCode.INVALID_MODE,
        ),
        ('{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1.0}', ErrorCode.INVALID_MODE),
        (
            '{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "full"}',
            ErrorCode.INVALID_MODE,
        ),
        (
            '{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "depth": 20}',
            ErrorCode.INVALID_DEPTH,
        ),
        ('{"action": "unsubscribe"}', ErrorCode.INVALID_PARAMETERS),
    ],
)
def test_malformed_messages_raise_the_documented_code(text, code):
    with pytest.raises(ProtocolError) as raised:
        parse_message(text)

    assert raised.value.code == code


def test_errors_carry_the_request_id_when_one_was_sent():
    with pytest.raises(ProtocolError) as raised:
        parse_message('{"action": "subscribe", "request_id": 9, "symbol": "X", "exchange": "MOON"}')

    assert raised.value.request_id == 9
