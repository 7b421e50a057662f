"""The flow API end to end on the sandbox: save, read, run now, history, update, delete, ownership."""

from __future__ import annotations

from tests.unit.flow.conftest import buy, workflow


def test_a_saved_workflow_runs_now_and_its_order_is_in_the_orderbook(create, trader, orders):
    created = create(workflow({"id": "start", "type": "manualTrigger"}, buy(quantity=2)))["data"]

    answer = trader("flow/run", workflow_id=created["workflow_id"])

    run = answer["data"]
    assert answer["status"] == "success" and run["status"] == "succeeded", run
    assert [step["node_id"] for step in run["steps"]] == ["start", "buy"]
    order_id = run["steps"][1]["output"]["orderid"]
    assert [order["orderid"] for order in orders()] == [order_id]
    assert orders()[0]["quantity"] == 2
    listed = trader("flow/workflows")["data"]
    assert listed[0]["last_run"]["run_id"] == run["run_id"] and listed[0]["triggers"] == ["manualTrigger"]
    history = trader("flow/runs", workflow_id=created["workflow_id"])["data"]
    assert [item["run_id"] for item in history] == [run["run_id"]]
    detail = trader("flow/runs/get", run_id=run["run_id"])["data"]
    assert detail["steps"][1]["input"]["symbol"] == "SBIN"


def test_references_are_filled_from_the_payload_and_an_unresolved_one_sends_nothing(create, trader, orders):
    created = create(workflow({"id": "start", "type": "manualTrigger"}, buy(quantity="{{trigger.qty}}")))["data"]

    filled = trader("flow/run", workflow_id=created["workflow_id"], payload={"qty": 3})["data"]
    missing = trader("flow/run", workflow_id=created["workflow_id"], payload={})["data"]

    assert filled["status"] == "succeeded"
    assert missing["status"] == "failed" and "trigger.qty" in missing["error"] and "not sent" in missing["error"]
    assert [order["quantity"] for order in orders()] == [3]


def test_a_condition_follows_only_its_branch(create, trader, orders):
    nodes = [
        {"id": "start", "type": "manualTrigger"},
        {"id": "quote", "type": "getQuote", "data": {"symbol": "SBIN", "exchange": "NSE", "output": "q"}},
        {
            "id": "cheap",
            "type": "condition",
            "data": {"all": [{"left": "{{q.ltp}}", "operator": "<", "right": "{{trigger.limit}}"}]},
        },
        buy("yes", quantity=1),
        buy("no", quantity=5),
    ]
    edges = [
        {"source": "start", "target": "quote"},
        {"source": "quote", "target": "cheap"},
        {"source": "cheap", "target": "yes", "branch": "true"},
        {"source": "cheap", "target": "no", "branch": "false"},
    ]
    created = create(workflow(*nodes, edges=edges))["data"]

    high = trader("flow/run", workflow_id=created["workflow_id"], payload={"limit": 1_000_000})["data"]
    low = trader("flow/run", workflow_id=created["workflow_id"], payload={"limit": 0})["data"]

    assert [step["node_id"] for step in high["steps"]] == ["start", "quote", "cheap", "yes"]
    assert [step["node_id"] for step in low["steps"]] == ["start", "quote", "cheap", "no"]
    assert sorted(order["quantity"] for order in orders()) == [1, 5]


def test_math_and_variables_feed_an_order(create, trader, orders):
    nodes = [
        {"id": "start", "type": "manualTrigger"},
        {"id": "lots", "type": "setVariable", "data": {"name": "lots", "value": 2}},
        {"id": "size", "type": "math", "data": {"expression": "{{lots}} * 3 + max(1, 2) - 2", "output": "size"}},
        buy(quantity="{{size}}"),
    ]
    created = create(workflow(*nodes))["data"]

    run = trader("flow/run", workflow_id=created["workflow_id"])["data"]

    assert run["status"] == "succeeded", run
    assert [order["quantity"] for order in orders()] == [6]


def test_another_users_workflow_is_not_found(app, client, create, trader):
    created = create(workflow({"id": "start", "type": "manualTrigger"}, buy()))["data"]
    app.services.accounts.create_user("other", "another long password")
    other_key = app.services.accounts.create_api_key("other")

    for path, body in [
        ("flow/get", {"workflow_id": created["workflow_id"]}),
        ("flow/run", {"workflow_id": created["workflow_id"]}),
        ("flow/delete", {"workflow_id": created["workflow_id"]}),
    ]:
        response = client.post(f"/api/v1/{path}", json={"apikey": other_key, **body})
        assert response.status_code == 404 and response.json()["code"] == "WORKFLOW_NOT_FOUND"


def test_update_replaces_the_document_and_delete_removes_it(create, trader):
    created = create(workflow({"id": "start", "type": "manualTrigger"}, buy()))["data"]

    updated = trader(
        "flow/update",
        workflow_id=created["workflow_id"],
        workflow=workflow({"id": "go", "type": "manualTrigger"}, name="Renamed"),
    )["data"]
    trader("flow/delete", workflow_id=created["workflow_id"])

    assert updated["name"] == "Renamed" and [node["id"] for node in updated["workflow"]["nodes"]] == ["go"]
    assert trader("flow/workflows")["data"] == []
