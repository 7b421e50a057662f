"""Firstock's offline simulator: the family simulator speaking the JSON wire with Firstock's field names."""

from brokers.families.noren.simulator import simulator_for

Simulator = simulator_for(__package__)
