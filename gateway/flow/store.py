"""Workflows, their runs and steps in the database; every owner-facing read names the owner.

A workflow id (or run id) that is not the caller's is simply not found. Runs are kept bounded:
each new run prunes its workflow's runs beyond the newest `MAX_RUNS_PER_WORKFLOW` and those older
than `RUN_RETENTION_DAYS` (finished ones only; a run in progress is never pruned).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from gateway.webhooks import WebhookTokens
from generated.errors import ValidationFailed, WorkflowNotFound
from storage import FlowRunRecord, FlowStepRecord, FlowWorkflowRecord, session_scope, utcnow

MAX_WORKFLOWS_PER_USER = 100
MAX_RUNS_PER_WORKFLOW = 500
RUN_RETENTION_DAYS = 30
WEBHOOK_PATH = "/flow/webhook/"
QUEUED, RUNNING, SUCCEEDED, FAILED, DROPPED = "queued", "running", "succeeded", "failed", "dropped"
UNFINISHED = (QUEUED, RUNNING)


class FlowStore:
    def __init__(self, engine: Engine, tokens: WebhookTokens, host_server: str) -> None:
        self._engine = engine
        self.tokens = tokens
        self._host = host_server.rstrip("/")

    # -- workflows ------------------------------------------------------------------------------------

    def load(self, user_id: int, workflow_id: int) -> FlowWorkflowRecord:
        with session_scope(self._engine) as session:
            row = session.get(FlowWorkflowRecord, workflow_id)
            if row is None or row.user_id != user_id:
                raise WorkflowNotFound(f"No workflow {workflow_id}")
            return row

    def by_id(self, workflow_id: int) -> FlowWorkflowRecord | None:
        with session_scope(self._engine) as session:
            return session.get(FlowWorkflowRecord, workflow_id)

    def by_token(self, token: str) -> FlowWorkflowRecord:
        with session_scope(self._engine) as session:
            digest = self.tokens.digest(token)
            row = session.exec(select(FlowWorkflowRecord).where(FlowWorkflowRecord.token_digest == digest)).first()
            if row is None:
                raise WorkflowNotFound("No workflow has this webhook URL (was its token rotated?)")
            return row

    def owned(self, user_id: int) -> list[FlowWorkflowRecord]:
        with session_scope(self._engine) as session:
            query = select(FlowWorkflowRecord).where(FlowWorkflowRecord.user_id == user_id)
            return list(session.exec(query.order_by(FlowWorkflowRecord.id)).all())

    def active(self) -> list[FlowWorkflowRecord]:
        with session_scope(self._engine) as session:
            query = select(FlowWorkflowRecord).where(FlowWorkflowRecord.is_active == True)  # noqa: E712
            return list(session.exec(query.order_by(FlowWorkflowRecord.id)).all())

    def webhook_url(self, row: FlowWorkflowRecord) -> str:
        return self._host + WEBHOOK_PATH + self.tokens.reveal(row.token_encrypted)

    def create(self, user_id: int, document: dict, *, signed: bool) -> tuple[FlowWorkflowRecord, str | None]:
        _token, digest, encrypted = self.tokens.issue()
        secret, secret_encrypted = self.tokens.new_secret() if signed else (None, None)
        with session_scope(self._engine) as session:
            count = len(session.exec(select(FlowWorkflowRecord.id).where(FlowWorkflowRecord.user_id == user_id)).all())
            if count >= MAX_WORKFLOWS_PER_USER:
                raise ValidationFailed(f"A user may have at most {MAX_WORKFLOWS_PER_USER} workflows")
            row = FlowWorkflowRecord(
                user_id=user_id,
                name=document["name"],
                description=document.get("description") or "",
                document=json.dumps(document),
                token_digest=digest,
                token_encrypted=encrypted,
                signing_secret_encrypted=secret_encrypted,
            )
            session.add(row)
            session.flush()
            return row, secret

    def update(self, user_id: int, workflow_id: int, document: dict) -> FlowWorkflowRecord:
        with session_scope(self._engine) as session:
            row = self._owned_row(session, user_id, workflow_id)
            row.name, row.description = document["name"], document.get("description") or ""
            row.document = json.dumps(document)
            row.updated_at = utcnow()
            return row

    def set_active(self, user_id: int, workflow_id: int, active: bool) -> FlowWorkflowRecord:
        with session_scope(self._engine) as session:
            row = self._owned_row(session, user_id, workflow_id)
            row.is_active = active
            row.updated_at = utcnow()
            return row

    def rotate(self, user_id: int, workflow_id: int, signed: bool | None) -> tuple[FlowWorkflowRecord, str | None]:
        _token, digest, encrypted = self.tokens.issue()
        secret = None
        with session_scope(self._engine) as session:
            row = self._owned_row(session, user_id, workflow_id)
            row.token_digest, row.token_encrypted = digest, encrypted
            if signed is True:
                secret, row.signing_secret_encrypted = self.tokens.new_secret()
            elif signed is False:
                row.signing_secret_encrypted = None
            row.updated_at = utcnow()
            return row, secret

    def delete(self, user_id: int, workflow_id: int) -> str:
        with session_scope(self._engine) as session:
            row = self._owned_row(session, user_id, workflow_id)
            name = row.name
            run_ids = select(FlowRunRecord.id).where(FlowRunRecord.workflow_id == workflow_id)
            session.execute(delete(FlowStepRecord).where(FlowStepRecord.run_id.in_(run_ids)))
            session.execute(delete(FlowRunRecord).where(FlowRunRecord.workflow_id == workflow_id))
            session.delete(row)
            return name

    def _owned_row(self, session, user_id: int, workflow_id: int) -> FlowWorkflowRecord:
        row = session.get(FlowWorkflowRecord, workflow_id)
        if row is None or row.user_id != user_id:
            raise WorkflowNotFound(f"No workflow {workflow_id}")
        return row

    # -- runs -----------------------------------------------------------------------------------------

    def new_run(
        self,
        workflow: FlowWorkflowRecord,
        trigger: str,
        trigger_node: str,
        payload: dict,
        *,
        status: str = QUEUED,
        dedupe_key: str | None = None,
        now: datetime | None = None,
    ) -> tuple[FlowRunRecord, bool]:
        """Record a run (before anything acts); with a `dedupe_key` already used, the first run, not new."""
        if dedupe_key is not None and (known := self._run_by_key(workflow.id, dedupe_key)) is not None:
            return known, False
        moment = now or utcnow()
        try:
            with session_scope(self._engine) as session:
                run = FlowRunRecord(
                    workflow_id=workflow.id,
                    user_id=workflow.user_id,
                    trigger=trigger,
                    trigger_node=trigger_node,
                    payload=json.dumps(payload, default=str),
                    dedupe_key=dedupe_key,
                    status=status,
                    created_at=moment,
                    started_at=moment if status == DROPPED else None,
                    finished_at=moment if status == DROPPED else None,
                )
                session.add(run)
                session.flush()
        except IntegrityError:  # the same key raced in from another request: that one is the run
            known = self._run_by_key(workflow.id, dedupe_key) if dedupe_key else None
            if known is None:
                raise
            return known, False
        self._prune(workflow.id, moment)
        return run, True

    def _run_by_key(self, workflow_id: int, key: str) -> FlowRunRecord | None:
        with session_scope(self._engine) as session:
            query = select(FlowRunRecord).where(
                FlowRunRecord.workflow_id == workflow_id, FlowRunRecord.dedupe_key == key
            )
            return session.exec(query).first()

    def run_row(self, run_id: int) -> FlowRunRecord | None:
        with session_scope(self._engine) as session:
            return session.get(FlowRunRecord, run_id)

    def owned_run(self, user_id: int, run_id: int) -> FlowRunRecord:
        run = self.run_row(run_id)
        if run is None or run.user_id != user_id:
            raise WorkflowNotFound(f"No run {run_id}")
        return run

    def mark_run(self, run_id: int, status: str, *, error: str | None = None, now: datetime | None = None) -> None:
        moment = now or utcnow()
        values: dict[str, Any] = {"status": status}
        if status == RUNNING:
            values["started_at"] = moment
        if status in (SUCCEEDED, FAILED):
            values["finished_at"] = moment
            values["error"] = error[:2000] if error else None
        with session_scope(self._engine) as session:
            session.execute(update(FlowRunRecord).where(FlowRunRecord.id == run_id).values(**values))

    def runs(self, workflow_id: int, limit: int) -> list[FlowRunRecord]:
        with session_scope(self._engine) as session:
            query = select(FlowRunRecord).where(FlowRunRecord.workflow_id == workflow_id)
            return list(session.exec(query.order_by(FlowRunRecord.id.desc()).limit(limit)).all())

    def last_run(self, workflow_id: int) -> FlowRunRecord | None:
        runs = self.runs(workflow_id, 1)
        return runs[0] if runs else None

    def unfinished(self) -> list[FlowRunRecord]:
        with session_scope(self._engine) as session:
            query = select(FlowRunRecord).where(FlowRunRecord.status.in_(UNFINISHED))
            return list(session.exec(query.order_by(FlowRunRecord.id)).all())

    def _prune(self, workflow_id: int, now: datetime) -> None:
        with session_scope(self._engine) as session:
            keep = select(FlowRunRecord.id).where(FlowRunRecord.workflow_id == workflow_id)
            newest = session.exec(keep.order_by(FlowRunRecord.id.desc()).limit(MAX_RUNS_PER_WORKFLOW)).all()
            cutoff = now - timedelta(days=RUN_RETENTION_DAYS)
            old = select(FlowRunRecord.id).where(
                FlowRunRecord.workflow_id == workflow_id,
                FlowRunRecord.status.notin_(UNFINISHED),
                (FlowRunRecord.created_at < cutoff) | (FlowRunRecord.id.notin_(newest or [0])),
            )
            doomed = list(session.exec(old).all())
            if doomed:
                session.execute(delete(FlowStepRecord).where(FlowStepRecord.run_id.in_(doomed)))
                session.execute(delete(FlowRunRecord).where(FlowRunRecord.id.in_(doomed)))

    # -- steps ----------------------------------------------------------------------------------------

    def steps(self, run_id: int) -> list[FlowStepRecord]:
        with session_scope(self._engine) as session:
            query = select(FlowStepRecord).where(FlowStepRecord.run_id == run_id).order_by(FlowStepRecord.id)
            return list(session.exec(query).all())

    def start_step(self, run_id: int, node_id: str, kind: str, given: Any, now: datetime | None = None) -> None:
        """Write the step down before its node acts (or restart the record of one a crash cut short)."""
        moment = now or utcnow()
        with session_scope(self._engine) as session:
            query = select(FlowStepRecord).where(FlowStepRecord.run_id == run_id, FlowStepRecord.node_id == node_id)
            row = session.exec(query).first()
            if row is None:
                row = FlowStepRecord(run_id=run_id, node_id=node_id, type=kind, status=RUNNING)
                session.add(row)
            row.status, row.input, row.started_at, row.error = RUNNING, _dumped(given), moment, None

    def finish_step(self, run_id: int, node_id: str, status: str, output: Any, error: str | None, ms: int) -> None:
        with session_scope(self._engine) as session:
            session.execute(
                update(FlowStepRecord)
                .where(FlowStepRecord.run_id == run_id, FlowStepRecord.node_id == node_id)
                .values(status=status, output=_dumped(output), error=error[:2000] if error else None, duration_ms=ms)
            )


def _dumped(value: Any) -> str:
    text = json.dumps(value, default=str)
    if len(text) > 200_000:  # an option chain or long history: keep the record bounded
        return json.dumps({"truncated": True, "preview": text[:2000]})
    return text
