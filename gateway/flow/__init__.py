"""Flow: visual trading workflows of trigger, action, data, logic and notify nodes, run by the gateway."""

from gateway.flow.document import Workflow, check
from gateway.flow.engine import FlowEngine
from gateway.flow.service import FlowService
from gateway.flow.store import FlowStore

__all__ = ["FlowEngine", "FlowService", "FlowStore", "Workflow", "check"]
