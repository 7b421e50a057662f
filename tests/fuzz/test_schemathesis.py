"""A bounded schemathesis run on every `make test`, for the sandbox and every live broker on its simulator:
no 5xx, and every answer as the spec declares.

`tools.fuzz` starts a real server, authenticates with a fresh API key in `X-API-KEY` (and, for a live
broker, logs in through the broker's own flow on its simulator) and runs the examples, fuzzing and
stateful (placeorder -> modifyorder / cancelorder / orderstatus -> orderbook, by the spec's links)
phases, then the webhooks of spec/webhooks.yaml, with random tokens and with the tokens of strategies
it created. The seed is fixed so that a failure here reproduces; `make fuzz BROKER=<id>` runs many
more examples with a fresh seed.
"""

import pytest

from tools import fuzz

SEED = 20261124
# The sandbox gets more examples; each live broker a few, since the kit (tests/conformance) checks it closely.
MAX_EXAMPLES = {"sandbox": 12}
LIVE_EXAMPLES = 5
# Per webhook operation (spec/webhooks.yaml), about half of them with the real token of a strategy the setup created.
# The webhooks place through the same order desk whatever the broker, so the sandbox run covers them.
WEBHOOK_EXAMPLES = {"sandbox": 6}


@pytest.mark.parametrize("broker", fuzz.fuzzable_brokers())
def test_schemathesis_finds_nothing(broker):
    runs = fuzz.run(
        broker=broker,
        max_examples=MAX_EXAMPLES.get(broker, LIVE_EXAMPLES),
        seed=SEED,
        capture=True,
        webhook_examples=WEBHOOK_EXAMPLES.get(broker, 0),
    )

    failed = [done for done in runs if done.returncode != 0]
    assert not failed, "\n\n".join(done.stdout[-20000:] + done.stderr[-5000:] for done in failed)
