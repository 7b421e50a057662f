"""The application factory: the spec becomes routes, brokergate's middleware and error envelope wrap them."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from gateway import envelope
from gateway.allocator import tune_allocator
from gateway.background import Background
from gateway.feed import build_feed, observe
from gateway.marketclock import MarketClock
from gateway.middleware import ApiKeys, RequestShape
from gateway.orderwatch import OrderWatch
from gateway.perimeter import Perimeter
from gateway.services import Services
from gateway.settings import Settings
from gateway.simulated import PREFIX, simulator_pages
from gateway.specs import SPEC_DIR, checked_in_tests, operations
from gateway.specs import spec as spec_document
from gateway.validation import TolerantJSONBodyValidator
from gateway.webhooks.rawbody import RawBody
from generated.errors import BrokergateError


def protected_operations(spec: dict) -> frozenset[str]:
    """Operation ids that need an API key: all but those whose spec says `security: []`."""
    return frozenset(
        operation["operationId"] for _, _, operation in operations(spec) if operation.get("security") != []
    )


def create_app(settings: Settings, *, validate_responses: bool = False, services: Services | None = None) -> AsyncApp:
    tune_allocator()  # before the services start their threads
    services = services or Services.build(settings)
    spec = spec_document("openapi.yaml")
    perimeter = Perimeter.build(settings, services)

    clock = MarketClock(services.market, services.sandbox, anchor=settings.clock_anchor)

    feed = build_feed(services)
    watch = OrderWatch(services.router, services.sessions, services.events, interval=settings.order_watch_interval)
    # The market clock, feed, order watch, scheduler and bot: here, or in the leader of several workers.
    background = Background(services, clock, feed, watch)

    @asynccontextmanager
    async def lifespan(_app):
        await background.start()
        yield
        await background.stop()
        services.historify.store.close()  # releases the DuckDB file for the CLI
        await perimeter.close()  # write the traffic log's last rows

    app = AsyncApp(
        __name__,
        specification_dir=SPEC_DIR,
        lifespan=lifespan,
        middlewares=[
            ServerErrorMiddleware,
            *perimeter.outer_middlewares(),
            ExceptionMiddleware,
            perimeter.ban_middleware(),
            SwaggerUIMiddleware,
            partial(RequestShape, max_body_bytes=settings.max_body_bytes),
            RawBody,  # webhooks keep their exact bytes for the signature check
            RoutingMiddleware,
            perimeter.client_limit_middleware(),
            partial(ApiKeys, services=services, protected=protected_operations(spec)),
            perimeter.key_limit_middleware(),
            RequestValidationMiddleware,
            ResponseValidationMiddleware,
            LifespanMiddleware,
            ContextMiddleware,
        ],
    )
    with checked_in_tests():  # connexion's check of the specs against the OpenAPI schema runs in CI
        app.add_api(
            spec,
            base_path="/api/v1",  # named, so connexion routes it before the webhooks' root base path
            strict_validation=True,
            validate_responses=validate_responses,
            validator_map={"body": {"application/json": TolerantJSONBodyValidator}},
            swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/docs"),
        )
        app.add_api(  # the webhooks charting platforms post to, at OpenAlgo's paths outside /api/v1
            spec_document("webhooks.yaml"),
            strict_validation=True,
            validate_responses=validate_responses,
            validator_map={"body": {"application/json": TolerantJSONBodyValidator}},
            swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
        )
    app.add_url_rule("/api/docs", "api_docs", _docs_redirect)
    perimeter.add_routes(app)  # the console at /, /health, /metrics, /postback/{broker}
    if services.simulators:
        app.add_url_rule(
            f"{PREFIX}/{{broker}}/{{path:path}}", "simulators", simulator_pages(services.simulators), methods=["GET"]
        )
    app.add_error_handler(BrokergateError, envelope.brokergate_error)
    app.add_error_handler(ProblemException, envelope.http_error)
    app.add_error_handler(HTTPException, envelope.http_error)
    app.add_error_handler(PydanticValidationError, envelope.model_error)
    app.add_error_handler(Exception, envelope.unexpected_error)
    app.services = services
    app.market_clock = clock
    app.feed = feed
    app.order_watch = watch
    app.background = background
    observe(feed, clock, perimeter, services.sessions, background)
    app.perimeter = perimeter
    return app


def _docs_redirect(*_args, **_kwargs) -> RedirectResponse:
    return RedirectResponse("/api/v1/docs/")
