"""Rows of `python_strategies`: one user's strategies by id or name, and the supervisor's updates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from generated.errors import NotFound, ValidationFailed
from storage import PythonStrategy, session_scope, utcnow


class StrategyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, user_id: int, name: str, api_key_id: int) -> PythonStrategy:
        try:
            with session_scope(self._engine) as session:
                row = PythonStrategy(user_id=user_id, name=name, api_key_id=api_key_id)
                session.add(row)
                session.flush()
                return row
        except IntegrityError:
            raise _taken(name) from None

    def count(self, user_id: int, *, desired_state: str | None = None) -> int:
        with session_scope(self._engine) as session:
            query = select(func.count()).select_from(PythonStrategy).where(PythonStrategy.user_id == user_id)
            if desired_state is not None:
                query = query.where(PythonStrategy.desired_state == desired_state)
            return session.exec(query).one()

    def find(self, strategy_id: int) -> PythonStrategy | None:
        with session_scope(self._engine) as session:
            return session.get(PythonStrategy, strategy_id)

    def get(self, user_id: int, ref: int | str) -> PythonStrategy:
        """The user's strategy by id (a number) or name; NotFound names what was asked for."""
        with session_scope(self._engine) as session:
            query = select(PythonStrategy).where(PythonStrategy.user_id == user_id)
            is_id = isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and len(ref) < 10)
            if is_id:
                query = query.where(PythonStrategy.id == int(ref))
            else:
                query = query.where(PythonStrategy.name == str(ref).strip())
            row = session.exec(query).first()
            if row is None and is_id and isinstance(ref, str):  # a strategy may be named "42"
                row = session.exec(
                    select(PythonStrategy).where(PythonStrategy.user_id == user_id, PythonStrategy.name == ref)
                ).first()
        if row is None:
            raise NotFound(f"No Python strategy {str(ref)[:64]!r} of yours")
        return row

    def for_user(self, user_id: int) -> list[PythonStrategy]:
        with session_scope(self._engine) as session:
            query = select(PythonStrategy).where(PythonStrategy.user_id == user_id).order_by(PythonStrategy.id)
            return list(session.exec(query).all())

    def all(self) -> list[PythonStrategy]:
        with session_scope(self._engine) as session:
            return list(session.exec(select(PythonStrategy).order_by(PythonStrategy.id)).all())

    def update(self, strategy_id: int, **fields: Any) -> PythonStrategy | None:
        try:
            with session_scope(self._engine) as session:
                row = session.get(PythonStrategy, strategy_id)
                if row is None:
                    return None
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = utcnow()
                session.add(row)
                return row
        except IntegrityError:
            raise _taken(str(fields.get("name", ""))) from None

    def delete(self, strategy_id: int) -> None:
        with session_scope(self._engine) as session:
            if (row := session.get(PythonStrategy, strategy_id)) is not None:
                session.delete(row)


def _taken(name: str) -> ValidationFailed:
    message = f"You already have a Python strategy named {name!r}"
    return ValidationFailed(message, errors={"name": [message]})
