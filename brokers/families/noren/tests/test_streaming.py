"""The feed's frames: a full frame, then updates carrying only what changed, merged onto it."""

from __future__ import annotations

import json

from brokers.families.noren.streaming import decode_frame, subscribe_messages


def test_an_update_frame_merges_onto_the_full_frame():
    last: dict = {}
    decode_frame(json.dumps({"t": "tk", "e": "NSE", "tk": "3045", "lp": "801.10", "c": "795.00", "v": "1200"}), last)

    (tick,) = decode_frame(json.dumps({"t": "tf", "e": "NSE", "tk": "3045", "lp": "802.35"}), last)

    assert (tick.last_price, tick.prev_close, tick.volume) == (802.35, 795.0, 1200.0)


def test_depth_frames_carry_five_levels_a_side():
    frame = (
        {"t": "dk", "e": "NFO", "tk": "35003"}
        | {f"bp{n}": str(100 - n) for n in range(1, 6)}
        | {f"sp{n}": "101" for n in range(1, 6)}
        | {f"sq{n}": "25" for n in range(1, 6)}
    )

    (tick,) = decode_frame(json.dumps(frame), {})

    assert [level.price for level in tick.bids] == [99.0, 98.0, 97.0, 96.0, 95.0]
    assert [level.quantity for level in tick.asks] == [25] * 5


def test_acks_and_heartbeats_decode_to_nothing():
    assert decode_frame('{"t": "ck", "s": "OK"}', {}) == []


def test_touchline_and_depth_subscriptions_go_in_one_message_each():
    keys = [("NSE", "3045"), ("NFO", "35003"), ("NSE", "22")]

    messages = subscribe_messages(keys, {keys[0]: "quote", keys[1]: "full", keys[2]: "ltp"})

    assert sorted(messages) == ['{"t": "d", "k": "NFO|35003"}', '{"t": "t", "k": "NSE|3045#NSE|22"}']
