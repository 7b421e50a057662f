"""Runs: walk a workflow from the trigger that fired, node by node, recording every step.

A run row exists before any node acts, and each step row before its node acts. The walk is
breadth-first along the edges (a condition follows only its true or false edges); each node runs at
most once per run, within a step limit and a depth limit. A node that fails stops the run.

Resuming: a run a crash left `queued` or `running` is walked again from its trigger. Steps that
succeeded are not repeated (their recorded outputs are put back into the variables); a step that
was started is run again, which for an order node means the same idempotency key, so the desk
answers with the first order instead of placing a second.

Overlap: one run of a workflow at a time. A trigger arriving meanwhile is recorded as `dropped`
(policy `drop`) or waits its turn as `queued` (policy `queue`). With several workers only the
leader's engine walks runs, so its lock is the only one: a follower records each run as `queued`
and the leader adopts it within a beat (`adopt_queued`), dropping it then if the workflow is busy
and its policy is `drop`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gateway.accounts import Principal
from gateway.flow import document as documents
from gateway.flow.document import Node, Workflow
from gateway.flow.nodes import NodeActions, NodeFailed
from gateway.flow.store import DROPPED, FAILED, QUEUED, RUNNING, SUCCEEDED, FlowStore
from storage import FlowRunRecord, FlowWorkflowRecord, User, session_scope

log = logging.getLogger(__name__)

MAX_STEPS = 500
MAX_DEPTH = 100


def _overlap_of(workflow: FlowWorkflowRecord) -> str:
    return json.loads(workflow.document).get("overlap") or "drop"


def idempotency_key(run_id: int, node_id: str) -> str:
    return f"flow:{run_id}/{node_id}"


class FlowEngine:
    def __init__(
        self,
        store: FlowStore,
        actions: NodeActions,
        engine,
        *,
        clock: Callable[[], datetime],
        shared: bool = False,
    ) -> None:
        self.store = store
        self.actions = actions
        self._engine = engine
        self._clock = clock
        self.shared = shared  # several workers: only the leader's engine walks runs
        self.leading = not shared  # set by the flow service as this worker gains or loses the lead
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: dict[int, asyncio.Task] = {}
        self._in_progress: defaultdict[int, int] = defaultdict(int)  # workflow id -> runs started, not ended

    # -- starting runs --------------------------------------------------------------------------------

    def start(
        self,
        workflow: FlowWorkflowRecord,
        trigger: Node,
        payload: dict,
        *,
        dedupe_key: str | None = None,
        overlap: str | None = None,
    ) -> tuple[FlowRunRecord, asyncio.Task | None]:
        """Record a run for `trigger` and start it; a busy workflow drops or queues it by its policy."""
        if not self.leading:  # recorded for the leader, which adopts it within a beat
            run, _is_new = self.store.new_run(
                workflow, trigger.type, trigger.id, payload, status=QUEUED, dedupe_key=dedupe_key, now=self._clock()
            )
            return run, None
        policy = overlap or _overlap_of(workflow)
        busy = self._in_progress[workflow.id] > 0  # a run started a moment ago may not hold the lock yet
        status = DROPPED if busy and policy == "drop" else QUEUED
        run, is_new = self.store.new_run(
            workflow, trigger.type, trigger.id, payload, status=status, dedupe_key=dedupe_key, now=self._clock()
        )
        if not is_new or status == DROPPED:
            if status == DROPPED and is_new:
                log.info("flow workflow %s: run %s dropped, a run is in progress", workflow.id, run.id)
            return run, self._tasks.get(run.id)
        return run, self._spawn(run.id, workflow.id)

    def _spawn(self, run_id: int, workflow_id: int) -> asyncio.Task:
        task = asyncio.create_task(self.execute(run_id), name=f"flow-run-{run_id}")
        self._tasks[run_id] = task
        self._in_progress[workflow_id] += 1

        def ended(_task: asyncio.Task) -> None:
            self._tasks.pop(run_id, None)
            self._in_progress[workflow_id] -= 1

        task.add_done_callback(ended)
        return task

    def task_of(self, run_id: int) -> asyncio.Task | None:
        return self._tasks.get(run_id)

    async def resume(self) -> list[int]:
        """Start again every run a stop or crash left queued or running (call once, at start)."""
        resumed = []
        for run in self.store.unfinished():
            if run.id not in self._tasks:
                self._spawn(run.id, run.workflow_id)
                resumed.append(run.id)
        return resumed

    def adopt_queued(self) -> list[int]:
        """(The leader, with several workers) start the runs the followers recorded; a run of a busy
        workflow whose policy is `drop` is dropped instead."""
        adopted = []
        for run in self.store.unfinished():
            if run.status != QUEUED or run.id in self._tasks:
                continue
            row = self.store.by_id(run.workflow_id)
            if row is not None and self._in_progress[run.workflow_id] > 0 and _overlap_of(row) == "drop":
                self.store.mark_run(run.id, DROPPED, now=self._clock())
                log.info("flow workflow %s: run %s dropped, a run is in progress", run.workflow_id, run.id)
                continue
            self._spawn(run.id, run.workflow_id)
            adopted.append(run.id)
        return adopted

    async def drain(self) -> None:
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- one run --------------------------------------------------------------------------------------

    async def execute(self, run_id: int) -> str:
        run = self.store.run_row(run_id)
        if run is None:
            return FAILED
        async with self._locks[run.workflow_id]:
            try:
                return await self._walk(run)
            except Exception as e:  # an engine fault must still settle the run, never leave it running
                log.exception("flow run %s failed", run_id)
                self.store.mark_run(run_id, FAILED, error=f"internal error: {type(e).__name__}", now=self._clock())
                return FAILED

    async def _walk(self, run: FlowRunRecord) -> str:
        row = self.store.by_id(run.workflow_id)
        if row is None:
            self.store.mark_run(run.id, FAILED, error="the workflow was deleted", now=self._clock())
            return FAILED
        workflow = documents.check(json.loads(row.document))
        if run.trigger_node not in workflow.nodes:
            self.store.mark_run(run.id, FAILED, error=f"trigger node {run.trigger_node} is no longer in the workflow")
            return FAILED
        self.store.mark_run(run.id, RUNNING, now=self._clock())
        user = self._principal(run.user_id)
        variables = _initial_variables(run)
        recorded = {step.node_id: step for step in self.store.steps(run.id)}
        error = await self._visit_all(run, workflow, user, variables, recorded)
        status = FAILED if error else SUCCEEDED
        self.store.mark_run(run.id, status, error=error, now=self._clock())
        return status

    async def _visit_all(
        self, run: FlowRunRecord, workflow: Workflow, user: Principal, variables: dict, recorded: dict
    ) -> str | None:
        queue: deque[tuple[str, int]] = deque([(run.trigger_node, 0)])
        visited: set[str] = set()
        steps = 0
        while queue:
            node_id, depth = queue.popleft()
            if node_id in visited:
                continue
            visited.add(node_id)
            steps += 1
            if steps > MAX_STEPS:
                return f"the run stopped after {MAX_STEPS} steps (the step limit)"
            if depth > MAX_DEPTH:
                return f"node {node_id} is deeper than {MAX_DEPTH} steps (the depth limit)"
            node = workflow.nodes[node_id]
            earlier = recorded.get(node_id)
            if earlier is not None and earlier.status == SUCCEEDED:
                output = json.loads(earlier.output)  # done before a restart: not repeated
            else:
                try:
                    output = await self._run_node(run, node, user, variables)
                except NodeFailed as e:
                    return f"node {node.id} ({node.type}): {e}"
            if node.output:
                variables[node.output] = output
            for target, branch in workflow.following[node_id]:
                if branch is None or branch == str(bool(output.get("result"))).lower():
                    queue.append((target, depth + 1))
        return None

    async def _run_node(self, run: FlowRunRecord, node: Node, user: Principal, variables: dict) -> Any:
        began = time.monotonic()
        try:
            step = self.actions.prepare(node, variables)
        except NodeFailed as e:
            self.store.start_step(run.id, node.id, node.type, node.data, now=self._clock())
            self.store.finish_step(run.id, node.id, FAILED, None, str(e), 0)
            raise
        self.store.start_step(run.id, node.id, node.type, step.given, now=self._clock())
        try:
            output = await self.actions.run(step, user, variables, idempotency_key(run.id, node.id))
        except NodeFailed as e:
            self.store.finish_step(run.id, node.id, FAILED, None, str(e), _ms_since(began))
            raise
        self.store.finish_step(run.id, node.id, SUCCEEDED, output, None, _ms_since(began))
        return output

    def _principal(self, user_id: int) -> Principal:
        with session_scope(self._engine) as session:
            return Principal(user_id, session.get(User, user_id).username)


def _initial_variables(run: FlowRunRecord) -> dict[str, Any]:
    payload = json.loads(run.payload)
    variables: dict[str, Any] = {"trigger": payload, "run": {"id": run.id, "workflow_id": run.workflow_id}}
    if run.trigger == "webhookTrigger":
        variables["webhook"] = payload
    if run.trigger == "orderUpdateTrigger":
        variables["order"] = payload
    return variables


def _ms_since(began: float) -> int:
    return int((time.monotonic() - began) * 1000)
