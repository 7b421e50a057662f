"""The plugin conformance kit: numbered checks that a broker plugin keeps the contract, run offline.

    python -m tools.conformance [broker ...]      brokergate plugin check <broker>      make conformance

Each live broker is checked against its folder's simulator (backed by the sandbox exchange core,
which holds the truth); the sandbox is checked against its own engine. See docs/adding-a-broker.md.
"""

from tools.conformance.checks import CHECKS, FAIL, PASS, SKIP, Result, run_checks
from tools.conformance.harness import Harness, NotCheckable, open_harness
from tools.conformance.report import NOT_CHECKABLE, BrokerReport, check_broker, render, run
from tools.conformance.upstream import CheckedTransport, UpstreamSpec

__all__ = [
    "CHECKS",
    "FAIL",
    "NOT_CHECKABLE",
    "PASS",
    "SKIP",
    "BrokerReport",
    "CheckedTransport",
    "Harness",
    "NotCheckable",
    "Result",
    "UpstreamSpec",
    "check_broker",
    "open_harness",
    "render",
    "run",
    "run_checks",
]
