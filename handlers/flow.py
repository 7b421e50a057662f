"""Handlers of the `flow` tag: workflows, their activation, runs on demand and run history."""

from gateway.context import current_user, services
from generated.api import (
    ApiKeyRequest,
    FlowActivateRequest,
    FlowCreateRequest,
    FlowIdRequest,
    FlowRotateRequest,
    FlowRunIdRequest,
    FlowRunRequest,
    FlowRunsRequest,
    FlowUpdateRequest,
)


def _flow():
    return services().flow


async def list_workflows(body: dict) -> tuple[dict, int]:
    ApiKeyRequest.model_validate(body)
    return {"status": "success", "data": _flow().describe_all(current_user())}, 200


async def create(body: dict) -> tuple[dict, int]:
    request = FlowCreateRequest.model_validate(body)
    return {"status": "success", "data": _flow().create(current_user(), request.workflow, bool(request.signed))}, 200


async def get(body: dict) -> tuple[dict, int]:
    request = FlowIdRequest.model_validate(body)
    return {"status": "success", "data": _flow().describe_one(current_user(), request.workflow_id)}, 200


async def update(body: dict) -> tuple[dict, int]:
    request = FlowUpdateRequest.model_validate(body)
    return {"status": "success", "data": _flow().update(current_user(), request.workflow_id, request.workflow)}, 200


async def delete(body: dict) -> tuple[dict, int]:
    request = FlowIdRequest.model_validate(body)
    name = _flow().delete(current_user(), request.workflow_id)
    return {"status": "success", "message": f"Workflow {name} deleted"}, 200


async def activate(body: dict) -> tuple[dict, int]:
    request = FlowActivateRequest.model_validate(body)
    return {"status": "success", "data": _flow().activate(current_user(), request.workflow_id, request.active)}, 200


async def run(body: dict) -> tuple[dict, int]:
    request = FlowRunRequest.model_validate(body)
    return await _flow().run_now(current_user(), request.workflow_id, request.payload)


async def runs(body: dict) -> tuple[dict, int]:
    request = FlowRunsRequest.model_validate(body)
    return {"status": "success", "data": _flow().runs(current_user(), request.workflow_id, request.limit or 50)}, 200


async def run_detail(body: dict) -> tuple[dict, int]:
    request = FlowRunIdRequest.model_validate(body)
    return {"status": "success", "data": _flow().run_detail(current_user(), request.run_id)}, 200


async def rotate(body: dict) -> tuple[dict, int]:
    request = FlowRotateRequest.model_validate(body)
    return {"status": "success", "data": _flow().rotate(current_user(), request.workflow_id, request.signed)}, 200
