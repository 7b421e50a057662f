"""Parts every live-broker plugin shares: pacing, the HTTP client, the symbol book, the feed loop, the simulator base.

A plugin folder keeps only what is its broker's own (envelopes, field names, packet formats);
everything here is broker-neutral and is tested once, in `tests/unit/brokers/`.
"""
