"""Tradesmart's offline simulator, which is the Noren family simulator reading this folder."""

from brokers.families.noren.simulator import simulator_for

Simulator = simulator_for(__package__)
