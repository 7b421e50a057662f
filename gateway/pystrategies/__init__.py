"""Python strategies: users' own scripts, run by brokergate as supervised, limited processes."""

from gateway.pystrategies.service import PythonStrategies, in_window, parse_days, parse_time
from gateway.pystrategies.supervisor import Supervisor, SupervisorConfig

__all__ = ["PythonStrategies", "Supervisor", "SupervisorConfig", "in_window", "parse_days", "parse_time"]
