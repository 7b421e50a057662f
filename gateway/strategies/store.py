"""Strategies and their symbol mappings in the database, each owned by one user.

Every read and change names the owner, so one user can never see or touch another's strategy
(an id that is not theirs is simply not found). Webhook tokens come from `gateway.webhooks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from gateway.webhooks import WebhookTokens
from generated.errors import StrategyNotFound, ValidationFailed
from storage import Strategy, StrategySymbol, session_scope, utcnow

MAX_STRATEGIES_PER_USER = 100
MAX_SYMBOLS_PER_STRATEGY = 200
PATHS = {"chartink": "/chartink/webhook/"}
DEFAULT_PATH = "/strategy/webhook/"
EDITABLE = ("name", "trading_mode", "product", "is_intraday", "start_time", "end_time", "squareoff_time", "is_active")


@dataclass
class Loaded:
    strategy: Strategy
    mappings: list[StrategySymbol]


class StrategyStore:
    def __init__(self, engine: Engine, tokens: WebhookTokens, host_server: str) -> None:
        self._engine = engine
        self.tokens = tokens
        self._host = host_server.rstrip("/")

    # -- reads ----------------------------------------------------------------------------------------

    def load(self, user_id: int, strategy_id: int) -> Loaded:
        with session_scope(self._engine) as session:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None or strategy.user_id != user_id:
                raise StrategyNotFound(f"No strategy {strategy_id}")
            return Loaded(strategy, self._mappings(session, strategy_id))

    def by_token(self, token: str) -> Loaded:
        with session_scope(self._engine) as session:
            strategy = session.exec(select(Strategy).where(Strategy.token_digest == self.tokens.digest(token))).first()
            if strategy is None:
                raise StrategyNotFound("No strategy has this webhook URL (was its token rotated?)")
            return Loaded(strategy, self._mappings(session, strategy.id))

    def by_id(self, strategy_id: int) -> Loaded | None:
        with session_scope(self._engine) as session:
            strategy = session.get(Strategy, strategy_id)
            return None if strategy is None else Loaded(strategy, self._mappings(session, strategy_id))

    def owned(self, user_id: int) -> list[Loaded]:
        with session_scope(self._engine) as session:
            rows = session.exec(select(Strategy).where(Strategy.user_id == user_id).order_by(Strategy.id)).all()
            return [Loaded(row, self._mappings(session, row.id)) for row in rows]

    def intraday(self) -> list[Loaded]:
        """Every active intraday strategy, whoever owns it (for the square-off schedule)."""
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(Strategy).where(Strategy.is_intraday == True, Strategy.is_active == True)  # noqa: E712
            ).all()
            return [Loaded(row, self._mappings(session, row.id)) for row in rows]

    def webhook_url(self, strategy: Strategy) -> str:
        return self._host + PATHS.get(strategy.platform, DEFAULT_PATH) + self.tokens.reveal(strategy.token_encrypted)

    def describe(self, loaded: Loaded, *, signing_secret: str | None = None) -> dict:
        s = loaded.strategy
        described = {
            "strategy_id": s.id,
            "name": s.name,
            "platform": s.platform,
            "trading_mode": s.trading_mode,
            "product": s.product,
            "is_intraday": s.is_intraday,
            "start_time": s.start_time,
            "end_time": s.end_time,
            "squareoff_time": s.squareoff_time,
            "is_active": s.is_active,
            "is_signed": s.signing_secret_encrypted is not None,
            "webhook_url": self.webhook_url(s),
            "symbols": [
                {"symbol": m.symbol, "exchange": m.exchange, "quantity": m.quantity, "product": m.product}
                for m in loaded.mappings
            ],
            "created_at": s.created_at.isoformat(),
        }
        if signing_secret is not None:
            described["signing_secret"] = signing_secret
        return described

    # -- changes --------------------------------------------------------------------------------------

    def create(self, user_id: int, fields: dict, symbols: list[dict], *, signed: bool) -> tuple[Loaded, str | None]:
        _check_times(fields)
        _token, digest, encrypted = self.tokens.issue()
        secret, secret_encrypted = self.tokens.new_secret() if signed else (None, None)
        with session_scope(self._engine) as session:
            count = len(session.exec(select(Strategy.id).where(Strategy.user_id == user_id)).all())
            if count >= MAX_STRATEGIES_PER_USER:
                raise ValidationFailed(f"A user may have at most {MAX_STRATEGIES_PER_USER} strategies")
            strategy = Strategy(
                user_id=user_id, token_digest=digest, token_encrypted=encrypted,
                signing_secret_encrypted=secret_encrypted, **fields,
            )  # fmt: skip
            session.add(strategy)
            self._flush(session, fields["name"])
            self._put_symbols(session, strategy, symbols)
            self._flush(session, fields["name"])
            strategy_id = strategy.id
        return self.load(user_id, strategy_id), secret

    def update(self, user_id: int, strategy_id: int, changes: dict) -> Loaded:
        with session_scope(self._engine) as session:
            strategy = self._owned_row(session, user_id, strategy_id)
            merged = {name: changes.get(name, getattr(strategy, name)) for name in EDITABLE}
            _check_times(merged)
            for name, value in changes.items():
                setattr(strategy, name, value)
            strategy.updated_at = utcnow()
            self._flush(session, merged["name"])
        return self.load(user_id, strategy_id)

    def rotate(self, user_id: int, strategy_id: int, signed: bool | None) -> tuple[Loaded, str | None]:
        _token, digest, encrypted = self.tokens.issue()
        secret = None
        with session_scope(self._engine) as session:
            strategy = self._owned_row(session, user_id, strategy_id)
            strategy.token_digest, strategy.token_encrypted = digest, encrypted
            if signed is True:
                secret, strategy.signing_secret_encrypted = self.tokens.new_secret()
            elif signed is False:
                strategy.signing_secret_encrypted = None
            strategy.updated_at = utcnow()
        return self.load(user_id, strategy_id), secret

    def set_symbols(self, user_id: int, strategy_id: int, action: str, symbols: list[dict]) -> Loaded:
        with session_scope(self._engine) as session:
            strategy = self._owned_row(session, user_id, strategy_id)
            if action == "remove":
                for item in symbols:
                    session.execute(
                        delete(StrategySymbol).where(
                            StrategySymbol.strategy_id == strategy_id,
                            StrategySymbol.symbol == item["symbol"].upper(),
                            StrategySymbol.exchange == item["exchange"],
                        )
                    )
            else:
                self._put_symbols(session, strategy, symbols)
            strategy.updated_at = utcnow()
        return self.load(user_id, strategy_id)

    def delete(self, user_id: int, strategy_id: int) -> str:
        with session_scope(self._engine) as session:
            strategy = self._owned_row(session, user_id, strategy_id)
            name = strategy.name
            session.execute(delete(StrategySymbol).where(StrategySymbol.strategy_id == strategy_id))
            session.delete(strategy)
        return name

    def mark_squared_off(self, strategy_id: int, day: date) -> bool:
        """Note that `day`'s square-off ran; False when it already had (so it runs once a day)."""
        with session_scope(self._engine) as session:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None or strategy.squared_off_on == day:
                return False
            strategy.squared_off_on = day
            return True

    # -- inside ---------------------------------------------------------------------------------------

    def _mappings(self, session, strategy_id: int) -> list[StrategySymbol]:
        rows = session.exec(
            select(StrategySymbol).where(StrategySymbol.strategy_id == strategy_id).order_by(StrategySymbol.id)
        ).all()
        return list(rows)

    def _owned_row(self, session, user_id: int, strategy_id: int) -> Strategy:
        strategy = session.get(Strategy, strategy_id)
        if strategy is None or strategy.user_id != user_id:
            raise StrategyNotFound(f"No strategy {strategy_id}")
        return strategy

    def _put_symbols(self, session, strategy: Strategy, symbols: list[dict]) -> None:
        existing = {(m.symbol, m.exchange): m for m in self._mappings(session, strategy.id)}
        for item in symbols:
            key = (item["symbol"].upper(), item["exchange"])
            product = item.get("product") or strategy.product
            if key in existing:
                existing[key].quantity, existing[key].product = item["quantity"], product
                continue
            row = StrategySymbol(
                strategy_id=strategy.id, symbol=key[0], exchange=key[1], quantity=item["quantity"], product=product
            )
            session.add(row)
            existing[key] = row
        if len(existing) > MAX_SYMBOLS_PER_STRATEGY:
            raise ValidationFailed(f"A strategy may map at most {MAX_SYMBOLS_PER_STRATEGY} symbols")

    def _flush(self, session, name: str) -> None:
        try:
            session.flush()
        except IntegrityError as e:
            raise ValidationFailed(
                f"You already have a strategy named {name!r}", errors={"name": ["Already in use."]}
            ) from e


def _check_times(fields: dict) -> None:
    """An intraday window must run start < end <= square-off, all within one IST day."""
    if not fields.get("is_intraday"):
        return
    start, end, squareoff = fields["start_time"], fields["end_time"], fields["squareoff_time"]
    if not start < end <= squareoff:
        message = f"Times must run start < end <= square-off; got {start}, {end}, {squareoff}"
        raise ValidationFailed(message, errors={"end_time": [message]})
