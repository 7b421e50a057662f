"""Zebu's offline simulator: the Noren family's, served on Zebu's hosts and root."""

from brokers.families.noren.simulator import simulator_for

Simulator = simulator_for(__package__)
