"""The Flow page: its per-kind forms, and its calls, which reach /api/v1/flow in-process with the user's key."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from gateway.flow.document import DATA, KINDS
from sandbox.market import IST
from tests.security.conftest import csrf_of, sign_up

PINNED = datetime(2026, 12, 7, 10, 0, tzinfo=IST)  # a Monday session: the sandbox fills MARKET orders
ORDER = {"strategy": "flow", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 2, "pricetype": "MARKET"}
TWO_NODES = {
    "name": "Buy from the page",
    "nodes": [
        {"id": "start", "type": "manualTrigger", "data": {}},
        {
            "id": "buy",
            "type": "placeOrder",
            "data": ORDER,
        },
    ],
    "edges": [{"source": "start", "target": "buy"}],
}


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"market_start": PINNED})


@pytest.fixture
def signed_in(client):
    sign_up(client)
    client.post("/keys/create", data={"csrf_token": csrf_of(client.get("/keys").text)})
    return client


def _call(client, operation: str, payload, *, token: str | None = None):
    token = token if token is not None else csrf_of(client.get("/flow").text)
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(f"/console/flow/api/{operation}", data={"payload": body}, headers={"X-CSRF-Token": token})


def test_page_has_its_nav_entry_script_and_no_key_warning(signed_in):
    page = signed_in.get("/flow")

    assert page.status_code == 200
    assert 'href="/flow"' in page.text and "/static/flow.js" in page.text and 'id="flow-nodes"' in page.text
    assert 'id="flow-no-key"' not in page.text


def test_without_an_api_key_the_page_says_so_and_its_calls_answer_409(client):
    sign_up(client)

    page = client.get("/flow")
    answer = _call(client, "workflows", {})

    assert 'id="flow-no-key"' in page.text
    assert answer.status_code == 409 and answer.json()["code"] == "NO_API_KEY"


def test_kinds_are_every_engine_kind_with_the_fields_of_its_spec_schema(signed_in):
    answer = signed_in.get("/console/flow/kinds")

    kinds = {kind["kind"]: kind for kind in answer.json()["data"]}
    order = {field["name"]: field for field in kinds["placeOrder"]["fields"]}
    quote = {field["name"]: field for field in kinds["getQuote"]["fields"]}
    schedule = {field["name"]: field for field in kinds["schedule"]["fields"]}
    assert answer.status_code == 200 and set(kinds) == set(KINDS)
    assert "apikey" not in order and order["symbol"]["required"] and "NSE" in order["exchange"]["enum"]
    assert order["output"]["required"] is False
    assert all(any(f["name"] == "output" and f["required"] for f in kinds[kind]["fields"]) for kind in DATA)
    assert quote["symbol"]["required"]
    assert schedule["mode"]["enum"] == ["cron", "interval", "once"] and schedule["market_hours_only"]["types"] == [
        "boolean"
    ]
    assert kinds["manualTrigger"]["fields"] == [] and kinds["manualTrigger"]["group"] == "trigger"
    assert {"operator", "left", "right"} <= {field["name"] for field in kinds["condition"]["fields"]}


def test_create_run_and_read_the_history_of_a_two_node_workflow_through_the_page(signed_in):
    token = csrf_of(signed_in.get("/flow").text)

    created = _call(signed_in, "create", {"workflow": TWO_NODES}, token=token)
    workflow_id = created.json()["data"]["workflow_id"]
    listed = _call(signed_in, "workflows", {}, token=token)
    ran = _call(signed_in, "run", {"workflow_id": workflow_id, "payload": {"note": "from the page"}}, token=token)
    run_id = ran.json()["data"]["run_id"]
    runs = _call(signed_in, "runs", {"workflow_id": workflow_id, "limit": 5}, token=token)
    detail = _call(signed_in, "run_detail", {"run_id": run_id}, token=token)
    activated = _call(signed_in, "activate", {"workflow_id": workflow_id, "active": True}, token=token)
    book = signed_in.get("/console/api/orderbook").json()["data"]["orders"]

    assert created.status_code == 200, created.text
    assert [row["name"] for row in listed.json()["data"]] == ["Buy from the page"]
    assert ran.status_code == 200 and ran.json()["data"]["status"] == "succeeded", ran.text
    assert [run["run_id"] for run in runs.json()["data"]] == [run_id]
    steps = {step["node_id"]: step for step in detail.json()["data"]["steps"]}
    assert steps["buy"]["status"] == "succeeded" and steps["buy"]["input"]["symbol"] == "SBIN"
    orderid = steps["buy"]["output"]["orderid"]
    assert any(order["orderid"] == orderid and order["quantity"] in (2, "2") for order in book)
    assert activated.json()["data"]["is_active"] is True


def test_a_cycle_is_refused_with_the_nodes_named(signed_in):
    cyclic = {**TWO_NODES, "edges": [{"source": "start", "target": "buy"}, {"source": "buy", "target": "start"}]}

    answer = _call(signed_in, "create", {"workflow": cyclic})

    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["code"] == "INVALID_WORKFLOW" and set(body["errors"]) & {"start", "buy"}


def test_the_page_api_refuses_a_forged_post_an_unknown_operation_and_a_payload_that_is_not_an_object(signed_in):
    forged = _call(signed_in, "workflows", {}, token="not-the-token")
    unknown = _call(signed_in, "webhook", {})
    not_json = _call(signed_in, "workflows", "{")
    not_object = _call(signed_in, "workflows", "[1]")
    a_file = signed_in.post(
        "/console/flow/api/workflows",
        files={"payload": ("payload.json", b"{}", "application/json")},
        headers={"X-CSRF-Token": csrf_of(signed_in.get("/flow").text)},
    )

    assert forged.status_code == 403
    assert unknown.status_code == 404 and unknown.json()["status"] == "error"
    assert not_json.status_code == 400 and not_object.status_code == 400 and a_file.status_code == 400


def test_a_payload_cannot_act_with_another_key(signed_in):
    answer = _call(signed_in, "workflows", {"apikey": "f" * 64})

    assert answer.status_code == 200 and answer.json()["status"] == "success"
