"""Save-time checks: every refusal is INVALID_WORKFLOW and names the node at fault."""

from __future__ import annotations

import pytest

from tests.unit.flow.conftest import buy, workflow

START = {"id": "start", "type": "manualTrigger"}


def refusal(create, document: dict) -> str:
    answer = create(document, expect=400)
    assert answer["status"] == "error" and answer["code"] == "INVALID_WORKFLOW", answer
    return answer["message"]


def test_a_cycle_is_refused_with_the_nodes_on_it(create):
    nodes = [START, buy("a"), buy("b"), buy("c")]
    edges = [
        {"source": "start", "target": "a"},
        {"source": "a", "target": "b"},
        {"source": "b", "target": "c"},
        {"source": "c", "target": "a"},
    ]

    message = refusal(create, workflow(*nodes, edges=edges))

    assert "cycle" in message and "a -> b -> c -> a" in message


def test_an_unknown_node_kind_is_refused_naming_the_node(create):
    message = refusal(create, workflow(START, {"id": "mystery", "type": "launchRocket", "data": {}}))

    assert "Node mystery" in message and "launchRocket" in message


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (workflow(buy("lonely")), "no trigger"),
        (workflow(START, buy("twin"), buy("twin")), "Node twin"),
        (workflow(START, buy(), edges=[{"source": "start", "target": "ghost"}]), "ghost"),
        (workflow(START, {"id": "buy", "type": "placeOrder", "data": {"symbol": "SBIN"}}), "Node buy"),
        (
            workflow(START, {"id": "sched", "type": "schedule", "data": {"mode": "cron", "cron": "61 9 * * *"}}),
            "Node sched",
        ),
        (workflow(START, {"id": "wait", "type": "delay", "data": {"seconds": 99999}}), "Node wait"),
        (workflow(START, {"id": "x", "type": "condition", "data": {"left": 1, "operator": ">"}}), "Node x"),
        (workflow(START, {"id": "key", "type": "getFunds", "data": {"apikey": "k", "output": "f"}}), "Node key"),
        (
            workflow(
                START,
                {"id": "res", "type": "getQuote", "data": {"symbol": "SBIN", "exchange": "NSE", "output": "trigger"}},
            ),
            "Node res",
        ),
        (workflow(START, {"id": "bad", "type": "telegram", "data": {"message": "{{ not closed"}}), "Node bad"),
        (workflow(START, buy(), edges=[{"source": "buy", "target": "start"}]), "Node start"),
    ],
)
def test_bad_documents_are_refused_naming_the_node(create, document, named):
    assert named in refusal(create, document)


def test_a_reference_in_a_typed_field_is_accepted_at_save(create):
    created = create(workflow(START, buy(quantity="{{trigger.qty}}")))

    assert created["data"]["workflow"]["nodes"][1]["data"]["quantity"] == "{{trigger.qty}}"


def test_nested_conditions_are_checked_to_the_bottom(create):
    nested = {"any": [{"not": {"left": "{{trigger.x}}", "operator": ">"}}, {"left": 1, "operator": "<", "right": 2}]}

    message = refusal(create, workflow(START, {"id": "deep", "type": "condition", "data": nested}))

    assert "Node deep" in message and "left, operator and right" in message


def test_the_served_spec_is_json_despite_nested_condition_shapes(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200 and "FlowCondition" in response.text
