"""alembic environment: migrations run on the engine the caller passes in `config.attributes`."""

from alembic import context
from sqlmodel import SQLModel

from storage import gateway_tables, models  # noqa: F401  (registers the tables on SQLModel.metadata)

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    context.run_migrations()
