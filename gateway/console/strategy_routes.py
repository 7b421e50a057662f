"""The Strategies page: the user's webhook strategies, their URLs, mappings, alert builder and alert history.

Every change is a console POST (CSRF-checked) that calls the same StrategyService as the API, with
the same generated models validating the form, so the page and the API refuse the same things.
"""

from __future__ import annotations

from pydantic import ValidationError as PydanticValidationError
from starlette.responses import RedirectResponse, Response

from gateway.accounts import Principal
from gateway.console.web import Call, Console
from gateway.strategies import alertbuilder
from gateway.validation import from_pydantic
from generated.api import WebhookStrategyCreateRequest, WebhookStrategySymbol
from generated.errors import BrokergateError

ALERTS_SHOWN = 20


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    def _service():
        return console.services.strategies

    def _user(call: Call) -> Principal:
        user = console.identity.user_by_id(call.session.user_id)
        return Principal(user.id, user.username)

    def _page(call: Call, *, error: str | None = None, status: int = 200, secret: str | None = None) -> Response:
        user = _user(call)
        service = _service()
        rows = []
        for loaded in service.store.owned(user.user_id):
            described = service.describe_one(user, loaded.strategy.id)
            builder = None
            if loaded.mappings:
                first = loaded.mappings[0]
                builder = alertbuilder.build(
                    loaded, described["webhook_url"], symbol=first.symbol, exchange=first.exchange
                )
            alerts = service.alerts(user, loaded.strategy.id, ALERTS_SHOWN)
            rows.append({"strategy": described, "builder": builder, "alerts": alerts})
        return console.render(call, "strategies.html", status=status, rows=rows, error=error, secret=secret)

    async def page(call: Call) -> Response:
        return _page(call)

    def _fields(call: Call) -> dict:
        return {key: value for key, value in call.form.items() if key != "csrf_token" and value != ""}

    async def act(call: Call) -> Response:
        what = call.request.path_params["what"]
        user, sent, service = _user(call), _fields(call), _service()
        secret = None
        try:
            strategy_id = int(sent.pop("strategy_id", "0") or 0)
            if what == "create":
                sent["is_intraday"] = sent.get("is_intraday") == "on"
                sent["signed"] = sent.get("signed") == "on"
                request = WebhookStrategyCreateRequest.model_validate(sent)
                secret = service.create(user, request).get("signing_secret")
            elif what == "toggle":
                current = service.describe_one(user, strategy_id)["is_active"]
                service.update(user, strategy_id, {"is_active": not current})
            elif what == "rotate":
                service.rotate(user, strategy_id, None)
            elif what == "delete":
                service.delete(user, strategy_id)
            elif what in ("map", "unmap"):
                item = WebhookStrategySymbol.model_validate(
                    {"symbol": sent.get("symbol", "").upper(), "exchange": sent.get("exchange", ""),
                     "quantity": sent.get("quantity", "1"), **({"product": sent["product"]} if sent.get("product") else {})}
                )  # fmt: skip
                action = "add" if what == "map" else "remove"
                service.set_symbols(user, strategy_id, action, [item.model_dump(exclude_none=True)])
            else:
                return console.refuse(call, f"{what} is not a strategy action", status=404)
        except PydanticValidationError as e:
            return _page(call, error=from_pydantic(e).message, status=400)
        except BrokergateError as e:
            return _page(call, error=e.message, status=e.http_status)
        except ValueError:
            return _page(call, error="The strategy id must be a number", status=400)
        if secret:
            return _page(call, secret=secret)
        return RedirectResponse("/strategies", status_code=303)

    guard = console.route
    return [
        ("/strategies", "strategies", guard("strategies", page), ["GET"]),
        ("/strategies/{what}", "strategies_action", guard("strategies_action", act), ["POST"]),
    ]
