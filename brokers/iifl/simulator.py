"""IIFL's XTS, offline: the family simulator with IIFL's profile."""

from brokers.families.xts import member_simulator

Simulator = member_simulator(__file__)
