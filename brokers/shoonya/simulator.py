"""Shoonya's offline simulator: the Noren family's, on this folder's noren.yaml."""

from brokers.families.noren.simulator import simulator_for

Simulator = simulator_for(__package__)
