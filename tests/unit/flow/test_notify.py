"""The telegram node queues its message in the durable outbox once per run, resumed or not."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from gateway.accounts import Principal
from gateway.flow.document import Node
from gateway.flow.engine import idempotency_key
from storage import TelegramMessage, session_scope
from tests.unit.flow.conftest import workflow


def test_a_telegram_node_queues_the_filled_in_message_once(app, create, trader):
    tell = {"id": "tell", "type": "telegram", "data": {"message": "Bought {{trigger.qty}} SBIN"}}
    created = create(workflow({"id": "start", "type": "manualTrigger"}, tell))["data"]
    user_id = app.services.flow.store.by_id(created["workflow_id"]).user_id
    outbox = app.services.telegram.store
    outbox.link(outbox.new_link_code(user_id), 4242, "trader")

    run = trader("flow/run", workflow_id=created["workflow_id"], payload={"qty": 5})["data"]
    actions = app.services.flow.engine.actions
    variables = {"trigger": {"qty": 5}}
    step = actions.prepare(Node("tell", "telegram", tell["data"]), variables)
    resent = asyncio.run(
        actions.run(step, Principal(user_id, "trader"), variables, idempotency_key(run["run_id"], "tell"))
    )

    with session_scope(app.services.engine) as session:
        texts = [row.text for row in session.exec(select(TelegramMessage).where(TelegramMessage.user_id == user_id))]
    assert run["status"] == "succeeded" and run["steps"][1]["output"] == {"queued": True}
    assert texts == ["Bought 5 SBIN"] and resent == {"queued": False}  # the node sent again (a resume) queues nothing
