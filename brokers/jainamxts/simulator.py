"""Jainam's XTS, offline: the family simulator with this member's profile."""

from brokers.families.xts import member_simulator

Simulator = member_simulator(__file__)
