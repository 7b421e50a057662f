"""Webhook strategies at work: alerts in, orders out, and the intraday square-off on the shared scheduler.

A delivery is checked (token, signature, active, mapped, window) and turned into its orders before
anything is stored, so a refusal is a typed 4xx with the reason, recorded for the owner to see.
A refusal of a known strategy's alert, and an alert whose orders fail, also go to `on_refused` (the
app hands it the Telegram outbox), in words without the webhook token.
An accepted alert goes to the durable inbox, which places it through the action center and order
desk (auto or semi-auto, sandbox or live, as for `/api/v1`), once.

Square-off: each active intraday strategy has a daily job at its square-off time (IST, Monday to
Friday; a holiday is skipped when it runs). It is a square-off alert in the same inbox, keyed by
the day, so it is placed once per day however often it is triggered: by the job, by the job
APScheduler runs late after a restart, or by the catch-up at start when the server was down at
the square-off time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from pydantic import ValidationError as PydanticValidationError

from gateway.accounts import Principal
from gateway.actioncenter import ActionCenter
from gateway.scheduler import Scheduler
from gateway.strategies import plans
from gateway.strategies.store import Loaded, StrategyStore
from gateway.validation import from_pydantic
from gateway.webhooks import AlertInbox, Delivery, WebhookTokens, json_object, without_token
from generated.api import PlaceOrderRequest, SmartOrderRequest
from generated.errors import BrokergateError, PayloadTooLarge, ValidationFailed, WebhookSignatureInvalid
from generated.webhooks import ChartinkAlert, StrategyAlert
from sandbox.market import IST
from storage import User, session_scope

log = logging.getLogger(__name__)

SOURCE = "strategy"
SQUAREOFF_TASK = "strategy.squareoff"
MAX_WEBHOOK_BYTES = 16_384
_MODELS = {"placeorder": PlaceOrderRequest, "smartorder": SmartOrderRequest}


def squareoff_job_id(strategy_id: int) -> str:
    return f"strategy-squareoff-{strategy_id}"


class StrategyService:
    def __init__(
        self,
        store: StrategyStore,
        inbox: AlertInbox,
        scheduler: Scheduler,
        *,
        is_trading_day: Callable,
        clock: Callable[[], datetime],
        on_refused: Callable[[int, str, str | None], None] | None = None,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self._scheduler = scheduler
        self._is_trading_day = is_trading_day
        self._clock = clock
        # (owner's user id, text, dedupe key or None): told of each refused alert and failed placement
        self._on_refused = on_refused
        inbox.on_settled = self._placement_failed
        scheduler.task(SQUAREOFF_TASK)(self.square_off)

    @classmethod
    def build(
        cls, services, clock: Callable[[], datetime], on_refused: Callable[[int, str, str | None], None] | None = None
    ) -> StrategyService:
        settings = services.settings
        tokens = WebhookTokens(settings.app_key, settings.api_key_pepper)
        store = StrategyStore(services.engine, tokens, settings.host_server)

        async def submit(user_id: int, kind: str, request: dict, key: str) -> dict:
            with session_scope(services.engine) as session:
                username = session.get(User, user_id).username
            model = _MODELS[kind].model_validate(request)
            return await ActionCenter.of(services).submit(
                Principal(user_id, username), kind, model, idempotency_key=key
            )

        inbox = AlertInbox(
            services.engine,
            submit,
            duplicate_seconds=settings.webhook_duplicate_seconds,
            wait_seconds=settings.webhook_wait_seconds,
            clock=clock,
        )
        calendar = services.market.calendar
        return cls(
            store,
            inbox,
            services.scheduler,
            is_trading_day=calendar.is_trading_day,
            clock=clock,
            on_refused=on_refused,
        )

    # -- the owner's view and changes ------------------------------------------------------------------

    def describe_all(self, user: Principal) -> list[dict]:
        return [self._described(loaded) for loaded in self.store.owned(user.user_id)]

    def describe_one(self, user: Principal, strategy_id: int) -> dict:
        return self._described(self.store.load(user.user_id, strategy_id))

    def create(self, user: Principal, request) -> dict:
        fields = {
            "name": request.name.strip(),
            "platform": request.platform,
            "trading_mode": request.trading_mode or "LONG",
            "product": request.product or "MIS",
            "is_intraday": request.is_intraday is not False,
            "start_time": request.start_time or "09:15",
            "end_time": request.end_time or "15:00",
            "squareoff_time": request.squareoff_time or "15:15",
            "is_active": request.is_active is not False,
        }
        symbols = [item.model_dump(exclude_none=True) for item in request.symbols or []]
        loaded, secret = self.store.create(user.user_id, fields, symbols, signed=bool(request.signed))
        self.schedule(loaded)
        return self._described(loaded, signing_secret=secret)

    def update(self, user: Principal, strategy_id: int, changes: dict) -> dict:
        if "name" in changes:
            changes["name"] = changes["name"].strip()
        loaded = self.store.update(user.user_id, strategy_id, changes)
        self.schedule(loaded)
        return self._described(loaded)

    def rotate(self, user: Principal, strategy_id: int, signed: bool | None) -> dict:
        loaded, secret = self.store.rotate(user.user_id, strategy_id, signed)
        return self._described(loaded, signing_secret=secret)

    def set_symbols(self, user: Principal, strategy_id: int, action: str, symbols: list[dict]) -> dict:
        return self._described(self.store.set_symbols(user.user_id, strategy_id, action, symbols))

    def delete(self, user: Principal, strategy_id: int) -> str:
        name = self.store.delete(user.user_id, strategy_id)
        self.unschedule(strategy_id)
        return name

    def alerts(self, user: Principal, strategy_id: int, limit: int = 100) -> list[dict]:
        self.store.load(user.user_id, strategy_id)  # only the owner reads its alerts
        return [
            {
                "alert_id": alert.id,
                "kind": alert.kind,
                "status": alert.status,
                "received_at": alert.received_at.isoformat(),
                "settled_at": alert.settled_at.isoformat() if alert.settled_at else None,
                "payload": json.loads(alert.payload),
                "answer": json.loads(alert.answer),
            }
            for alert in self.inbox.recent(SOURCE, strategy_id, limit)
        ]

    def _described(self, loaded: Loaded, *, signing_secret: str | None = None) -> dict:
        described = self.store.describe(loaded, signing_secret=signing_secret)
        upcoming = self._scheduler.next_run(squareoff_job_id(loaded.strategy.id)) if self._scheduler.running else None
        described["next_squareoff"] = upcoming.astimezone(IST).isoformat() if upcoming else None
        return described

    # -- deliveries -----------------------------------------------------------------------------------

    async def receive(
        self, kind: str, token: str, raw: bytes, *, idempotency_key: str | None, signature: str | None
    ) -> tuple[dict, int]:
        """Check a webhook delivery and hand it to the inbox; `kind` is `alert` or `chartink`."""
        loaded = self.store.by_token(token)  # an unknown token has no owner to tell of the refusal
        strategy = loaded.strategy
        delivery = Delivery(SOURCE, strategy.id, strategy.user_id, kind, raw, {}, idempotency_key=idempotency_key)
        try:
            if len(raw) > MAX_WEBHOOK_BYTES:
                raise PayloadTooLarge(
                    f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes; this one is {len(raw)}"
                )
            if not self.store.tokens.is_signed(strategy.signing_secret_encrypted, raw, signature):
                raise WebhookSignatureInvalid(
                    f"Strategy {strategy.name} takes signed alerts only: send X-Brokergate-Signature (t=..,v1=..)"
                )
            # Chartink echoes its webhook_url: the stored body must never hold the token
            delivery.payload = without_token(json_object(raw), token)
        except BrokergateError as e:  # refused before the body could be read: told, not recorded
            what = "Chartink alert" if kind == "chartink" else "alert"
            self._tell(strategy.user_id, f"Strategy {strategy.name}: {what} refused: {e.message}", token)
            raise
        try:
            delivery.plan, skipped = self._plan(kind, loaded, delivery.payload)
        except BrokergateError as e:
            self.inbox.refuse(delivery, e)
            what = _described_alert(kind, delivery.payload)
            self._tell(strategy.user_id, f"Strategy {strategy.name}: {what} refused: {e.message}", token)
            raise
        answer, status = await self.inbox.deliver(delivery)
        if skipped and status < 400:
            answer = {**answer, "skipped": skipped}
        return answer, status

    def _placement_failed(self, alert, answer: dict) -> None:
        """The inbox settled an alert with orders that failed: tell the strategy's owner, once per alert."""
        if alert.source != SOURCE or self._on_refused is None:
            return
        failed = [order for order in answer.get("orders", []) if order.get("status") == "error"]
        if answer.get("status") != "error" and not failed:
            return
        loaded = self.store.by_id(alert.source_id)
        name = loaded.strategy.name if loaded is not None else f"#{alert.source_id}"
        lines = [f"{o['action']} {o['symbol']} {o['exchange']}: {o.get('message', 'failed')}" for o in failed]
        if not lines:
            lines = [answer.get("message", "failed")]
        what = {"chartink": "Chartink alert", "squareoff": "square-off"}.get(alert.kind, "alert")
        text = f"Strategy {name}: {what} {alert.id}, orders failed:\n" + "\n".join(lines)
        self._tell(alert.user_id, text, None, key=f"strategy-alert:{alert.id}:failed")

    def _tell(self, user_id: int, text: str, token: str | None, *, key: str | None = None) -> None:
        if self._on_refused is None:
            return
        if token:
            text = text.replace(token, "[token]")  # a platform may echo its URL back in a field
        try:
            self._on_refused(user_id, text[:2000], key)
        except Exception:  # a notice must never turn an answered webhook into a 500
            log.exception("telling user %s of a webhook alert failed", user_id)

    def _plan(self, kind: str, loaded: Loaded, body: dict) -> tuple[list[dict], list[str]]:
        strategy = loaded.strategy
        platform_kind = "chartink" if strategy.platform == "chartink" else "alert"
        if kind != platform_kind:
            path = "/chartink/webhook/" if strategy.platform == "chartink" else "/strategy/webhook/"
            raise ValidationFailed(
                f"Strategy {strategy.name} is a {strategy.platform} strategy: post its alerts to {path}"
            )
        plans.require_active(strategy)
        now = self._clock()
        if kind == "chartink":
            alert = _model(ChartinkAlert, body)
            plan, intent, skipped, used = plans.chartink_plan(strategy, loaded.mappings, alert)
            plans.check_window(strategy, used[0].exchange, now, intent, self._is_trading_day)
            return plan, skipped
        alert = _model(StrategyAlert, body)
        planned, intent, mapping = plans.strategy_alert_plan(strategy, loaded.mappings, alert)
        plans.check_window(strategy, mapping.exchange, now, intent, self._is_trading_day)
        return [planned], []

    # -- square-off -----------------------------------------------------------------------------------

    def schedule(self, loaded: Loaded) -> None:
        """Keep the strategy's daily square-off job in step with its settings."""
        strategy = loaded.strategy
        job_id = squareoff_job_id(strategy.id)
        if not (strategy.is_intraday and strategy.is_active):
            self._scheduler.cancel(job_id)
            return
        at = plans.clock_time(strategy.squareoff_time)
        self._scheduler.daily(job_id, SQUAREOFF_TASK, at.hour, at.minute, strategy_id=strategy.id)

    def unschedule(self, strategy_id: int) -> None:
        self._scheduler.cancel(squareoff_job_id(strategy_id))

    async def square_off(self, strategy_id: int) -> dict | None:
        """Close the positions of the strategy's mapped symbols, once per IST trading day."""
        loaded = self.store.by_id(strategy_id)
        if loaded is None or not (loaded.strategy.is_intraday and loaded.strategy.is_active) or not loaded.mappings:
            return None
        today = self._clock().astimezone(IST).date()
        if not self._is_trading_day(today, loaded.mappings[0].exchange):
            return None
        strategy = loaded.strategy
        payload = {"squareoff": today.isoformat(), "time": strategy.squareoff_time}
        delivery = Delivery(
            SOURCE,
            strategy.id,
            strategy.user_id,
            "squareoff",
            json.dumps(payload).encode(),
            payload,
            plans.squareoff_plan(strategy, loaded.mappings),
            idempotency_key=f"squareoff:{today.isoformat()}",
        )
        answer, _status = await self.inbox.deliver(delivery)
        self.store.mark_squared_off(strategy.id, today)
        log.info("strategy %s squared off for %s: %s", strategy.id, today, answer.get("message"))
        return answer

    async def start(self) -> None:
        """At start: place alerts a stop or crash left pending, then re-sync every square-off job and
        square off the strategies whose square-off time passed today while the server was down."""
        recovered = await self.inbox.recover()
        if recovered:
            log.info("placed %d webhook alerts left pending by the last run", len(recovered))
        now = self._clock().astimezone(IST)
        for loaded in self.store.intraday():
            self.schedule(loaded)
            strategy = loaded.strategy
            if strategy.squared_off_on == now.date():
                continue
            if now.time() >= plans.clock_time(strategy.squareoff_time):
                await self.square_off(strategy.id)

    async def stop(self) -> None:
        await self.inbox.drain()


def _described_alert(kind: str, body: dict) -> str:
    """What the alert asked for, in a few words; never the webhook URL a Chartink payload carries."""
    if kind == "chartink":
        scan, stocks = str(body.get("scan_name", ""))[:80], str(body.get("stocks", ""))[:120]
        return f"Chartink alert {scan!r} ({stocks})" if scan else "Chartink alert"
    words = " ".join(str(body.get(name, ""))[:40] for name in ("action", "symbol", "exchange") if body.get(name))
    return f"alert {words}" if words else "alert"


def _model(model, body: dict):
    try:
        return model.model_validate(body)
    except PydanticValidationError as e:
        raise from_pydantic(e) from e
