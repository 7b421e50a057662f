"""Handlers of the `analyzer` tag: the caller's own analyzer (sandbox) mode."""

from gateway.context import current_user, services
from generated.api import AnalyzerData, AnalyzerResponse, AnalyzerToggleRequest


def _report(message: str | None = None) -> dict:
    user, gateway = current_user(), services()
    is_analyze = gateway.router.is_analyze(user)
    data = AnalyzerData(
        mode="analyze" if is_analyze else "live",
        analyze_mode=is_analyze,
        total_logs=gateway.accounts.sandbox_order_count(user.user_id),
        message=message,
    )
    return AnalyzerResponse(status="success", data=data).model_dump(exclude_none=True)


async def status(body: dict) -> tuple[dict, int]:
    return _report(), 200


async def toggle(body: dict) -> tuple[dict, int]:
    request = AnalyzerToggleRequest.model_validate(body)
    services().accounts.set_analyze_mode(current_user().user_id, request.mode)
    is_analyze = services().router.is_analyze(current_user())
    if request.mode or is_analyze == request.mode:
        message = f"Analyzer mode switched to {'analyze' if is_analyze else 'live'}"
    else:
        message = "Analyzer mode stays on: no live broker session is connected"
    return _report(message), 200
