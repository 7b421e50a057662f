"""The workflow document, checked: node kinds and their parameters, edges, a trigger, no cycle.

Every refusal is an `InvalidWorkflow` whose message names the node (or the nodes of a cycle), so the
editor can point at it. Parameters are checked with the generated models of `spec/openapi.yaml`:
the flow's own `Flow*Params` for triggers, logic and notify nodes, and the `/api/v1` request models
for order and data nodes, whose string fields may hold double-brace references that are filled in
(and checked again, strictly) only when the node runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from gateway.scheduler import crontab
from generated.api import (
    BasketOrderRequest,
    CancelOrderRequest,
    FlowCondition,
    FlowDelayParams,
    FlowEmptyParams,
    FlowHttpRequestParams,
    FlowMathParams,
    FlowOrderUpdateParams,
    FlowPriceAlertParams,
    FlowScheduleParams,
    FlowSetVariableParams,
    FlowTelegramParams,
    FlowWaitUntilParams,
    FlowWorkflowDocument,
    HistoryRequest,
    InstrumentRequest,
    ModifyOrderRequest,
    OpenPositionRequest,
    OptionChainRequest,
    OptionsOrderRequest,
    PlaceOrderRequest,
    SmartOrderRequest,
    StrategyRequest,
)
from generated.errors import InvalidWorkflow

TRIGGERS: dict[str, type[BaseModel]] = {
    "schedule": FlowScheduleParams,
    "webhookTrigger": FlowEmptyParams,
    "priceAlert": FlowPriceAlertParams,
    "orderUpdateTrigger": FlowOrderUpdateParams,
    "manualTrigger": FlowEmptyParams,
}
# Order nodes: the /api/v1 request they send (without apikey).
ORDERS: dict[str, type[BaseModel]] = {
    "placeOrder": PlaceOrderRequest,
    "smartOrder": SmartOrderRequest,
    "optionsOrder": OptionsOrderRequest,
    "basketOrder": BasketOrderRequest,
    "modifyOrder": ModifyOrderRequest,
    "cancelOrder": CancelOrderRequest,
    "closePosition": StrategyRequest,
    "cancelAllOrders": StrategyRequest,
}
# Data nodes: the /api/v1 request they ask; their answer is stored in `output`.
DATA: dict[str, type[BaseModel]] = {
    "getQuote": InstrumentRequest,
    "getDepth": InstrumentRequest,
    "getPosition": OpenPositionRequest,
    "getFunds": StrategyRequest,
    "optionChain": OptionChainRequest,
    "history": HistoryRequest,
}
STEPS: dict[str, type[BaseModel]] = {
    "condition": FlowCondition,
    "math": FlowMathParams,
    "setVariable": FlowSetVariableParams,
    "delay": FlowDelayParams,
    "waitUntil": FlowWaitUntilParams,
    "telegram": FlowTelegramParams,
    "httpRequest": FlowHttpRequestParams,
}
KINDS = {**TRIGGERS, **ORDERS, **DATA, **STEPS}
RESERVED = frozenset(("webhook", "trigger", "order", "run"))  # variables the engine fills in itself
REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_CONDITION_DEPTH = 10


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    data: dict[str, Any]

    @property
    def is_trigger(self) -> bool:
        return self.type in TRIGGERS

    @property
    def output(self) -> str | None:
        return self.data.get("output") or (self.data.get("name") if self.type == "setVariable" else None)


@dataclass
class Workflow:
    """A checked document: nodes by id and, for each, the nodes that follow it (with the branch)."""

    name: str
    overlap: str
    nodes: dict[str, Node]
    following: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)

    @property
    def triggers(self) -> list[Node]:
        return [node for node in self.nodes.values() if node.is_trigger]

    def trigger_of(self, kind: str) -> Node | None:
        return next((node for node in self.triggers if node.type == kind), None)


def check(document: FlowWorkflowDocument | dict) -> Workflow:
    """Check a workflow document; the checked workflow, or InvalidWorkflow naming the node at fault."""
    if isinstance(document, dict):
        try:
            document = FlowWorkflowDocument.model_validate(document)
        except PydanticValidationError as e:
            raise InvalidWorkflow(f"The workflow document does not match its schema: {_first(e)}") from e
    nodes: dict[str, Node] = {}
    for raw in document.nodes:
        if raw.id in nodes:
            raise InvalidWorkflow(f"Node {raw.id}: the id is used by two nodes", errors={raw.id: ["Duplicate id."]})
        node = Node(raw.id, raw.type, dict(raw.data or {}))
        _check_node(node)
        nodes[raw.id] = node
    following: dict[str, list[tuple[str, str | None]]] = {node_id: [] for node_id in nodes}
    seen_edges = set()
    for edge in document.edges or []:
        for end in (edge.source, edge.target):
            if end not in nodes:
                raise InvalidWorkflow(
                    f"Edge {edge.source} -> {edge.target}: there is no node {end}", errors={end: ["No such node."]}
                )
        source, target = nodes[edge.source], nodes[edge.target]
        if target.is_trigger:
            raise _refused(target, f"a {target.type} trigger starts a run, so no edge may lead into it")
        if source.type == "condition" and edge.branch is None:
            raise _refused(source, f"the edge to {target.id} must say which branch it follows (true or false)")
        if source.type != "condition" and edge.branch is not None:
            raise _refused(source, f"only a condition node's edges have a branch (the edge to {target.id})")
        key = (edge.source, edge.target, edge.branch)
        if key not in seen_edges:
            seen_edges.add(key)
            following[edge.source].append((edge.target, edge.branch))
    workflow = Workflow(document.name, document.overlap or "drop", nodes, following)
    if not workflow.triggers:
        raise InvalidWorkflow(
            "The workflow has no trigger node (schedule, webhookTrigger, priceAlert, orderUpdateTrigger or manualTrigger)"
        )
    _check_acyclic(workflow)
    return workflow


def references(value: Any) -> list[str]:
    """Every double-brace reference inside `value` (strings, lists and objects)."""
    if isinstance(value, str):
        return REFERENCE.findall(value)
    if isinstance(value, dict):
        return [name for item in value.values() for name in references(item)]
    if isinstance(value, list):
        return [name for item in value for name in references(item)]
    return []


def params_model(kind: str) -> type[BaseModel]:
    return KINDS[kind]


def without_output(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "output"}


def _check_node(node: Node) -> None:
    model = KINDS.get(node.type)
    if model is None:
        raise _refused(node, f"unknown node kind {node.type!r}")
    _check_reference_syntax(node, node.data)
    if node.type in ORDERS or node.type in DATA:
        _check_api_node(node, model)
        return
    try:
        params = model.model_validate(node.data)
    except PydanticValidationError as e:
        raise _refused(node, _first(e)) from e
    if node.type == "schedule":
        _check_schedule(node, params)
    elif node.type == "condition":
        _check_condition(node, params, 0)
    if node.output in RESERVED:
        raise _refused(node, f"{node.output!r} is filled in by the engine; pick another variable name")


def _check_api_node(node: Node, model: type[BaseModel]) -> None:
    data = node.data
    if "apikey" in data:
        raise _refused(node, "a node never carries an API key; the run acts as the workflow's owner")
    output = data.get("output")
    if output is None and node.type in DATA:
        raise _refused(node, "output: name the variable that stores the answer")
    if output is not None and (not isinstance(output, str) or not _OUTPUT_NAME.match(output) or output in RESERVED):
        raise _refused(node, f"output: {output!r} is not a usable variable name")
    try:
        model.model_validate(without_output(data))
    except PydanticValidationError as e:
        # A field holding a reference is checked when the node runs, with the value filled in.
        problems = [problem for problem in e.errors() if not _holds_reference(data, problem["loc"])]
        if problems:
            where = ".".join(str(part) for part in problems[0]["loc"]) or "data"
            raise _refused(node, f"{where}: {problems[0]['msg']}") from e


def _holds_reference(data: Any, location: tuple) -> bool:
    value = data
    for part in location:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
        if isinstance(value, str) and REFERENCE.search(value):
            return True
    return False


def _check_reference_syntax(node: Node, value: Any) -> None:
    if isinstance(value, str):
        if "{{" in value and len(REFERENCE.findall(value)) != value.count("{{"):
            raise _refused(
                node, f"{value[:80]!r} has a malformed reference (write a name in double braces, e.g. quote.ltp)"
            )
    elif isinstance(value, dict):
        for item in value.values():
            _check_reference_syntax(node, item)
    elif isinstance(value, list):
        for item in value:
            _check_reference_syntax(node, item)


def _check_schedule(node: Node, params: FlowScheduleParams) -> None:
    if params.mode == "cron":
        if not params.cron:
            raise _refused(node, "cron: a cron schedule needs a five-field cron expression")
        if len(params.cron.split()) != 5:
            raise _refused(node, f"cron: {params.cron!r} must have five fields (minute hour day month weekday)")
        try:
            crontab(params.cron)
        except ValueError as e:
            raise _refused(node, f"cron: {params.cron!r} is not a valid cron expression ({e})") from e
    elif params.mode == "interval" and params.interval_seconds is None:
        raise _refused(node, "interval_seconds: an interval schedule needs interval_seconds (at least 60)")
    elif params.mode == "once" and params.at is None:
        raise _refused(node, "at: a once schedule needs the date and time to run at")


def _check_condition(node: Node, condition: FlowCondition, depth: int) -> None:
    if depth > _CONDITION_DEPTH:
        raise _refused(node, f"conditions may nest at most {_CONDITION_DEPTH} deep")
    shapes = [
        condition.all is not None,
        condition.any is not None,
        condition.not_ is not None,
        condition.operator is not None or condition.left is not None or condition.right is not None,
    ]
    if sum(shapes) != 1:
        raise _refused(node, "each condition is exactly one of all, any, not, or a comparison (left, operator, right)")
    if shapes[3] and (condition.left is None or condition.operator is None or condition.right is None):
        raise _refused(node, "a comparison needs left, operator and right")
    for inner in (condition.all or []) + (condition.any or []) + ([condition.not_] if condition.not_ else []):
        try:
            nested = FlowCondition.model_validate(inner)
        except PydanticValidationError as e:
            raise _refused(node, f"a nested condition: {_first(e)}") from e
        _check_condition(node, nested, depth + 1)


def _check_acyclic(workflow: Workflow) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(start: str) -> None:
        stack = [(start, iter(workflow.following[start]))]
        state[start] = 1
        path.append(start)
        while stack:
            node_id, children = stack[-1]
            for child, _branch in children:
                if state.get(child) == 1:
                    cycle = [*path[path.index(child) :], child]
                    raise InvalidWorkflow(
                        f"The workflow has a cycle through nodes {' -> '.join(cycle)}",
                        errors={name: ["On a cycle."] for name in cycle},
                    )
                if child not in state:
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(workflow.following[child])))
                    break
            else:
                state[node_id] = 2
                path.pop()
                stack.pop()

    for node_id in workflow.nodes:
        if node_id not in state:
            visit(node_id)


def _refused(node: Node, why: str) -> InvalidWorkflow:
    return InvalidWorkflow(f"Node {node.id} ({node.type}): {why}", errors={node.id: [why]})


def _first(error: PydanticValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else problem["msg"]
