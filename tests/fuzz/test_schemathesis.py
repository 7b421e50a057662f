"""A bounded schemathesis run on every `make test`: no 5xx, and every answer as the spec declares.

`tools.fuzz` starts a real sandbox server, authenticates with a fresh API key in `X-API-KEY` and
runs the examples, fuzzing and stateful (placeorder -> modifyorder / cancelorder / orderstatus ->
orderbook, by the spec's links) phases. The seed is fixed so that a failure here reproduces;
`make fuzz` runs many more examples with a fresh seed.
"""

from tools import fuzz

MAX_EXAMPLES = 12
SEED = 20261124


def test_schemathesis_finds_nothing():
    runs = fuzz.run(max_examples=MAX_EXAMPLES, seed=SEED, capture=True)

    failed = [done for done in runs if done.returncode != 0]
    assert not failed, "\n\n".join(done.stdout[-20000:] + done.stderr[-5000:] for done in failed)
