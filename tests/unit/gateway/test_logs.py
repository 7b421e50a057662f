"""The server's log: what a first start prints is the migrations, not alembic loading its plugins."""

import logging

import pytest

from gateway.logs import configure_logging

PLUGINS, MIGRATIONS = "alembic.runtime.plugins", "alembic.runtime.migration"


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level, plugins_level = root.handlers[:], root.level, logging.getLogger(PLUGINS).level
    yield
    root.handlers[:], root.level = handlers, level
    logging.getLogger(PLUGINS).setLevel(plugins_level)


@pytest.mark.usefixtures("restored_logging")
def test_alembic_s_plugin_lines_are_left_out_and_its_migrations_kept():
    configure_logging("INFO")

    assert not logging.getLogger(PLUGINS).isEnabledFor(logging.INFO)
    assert logging.getLogger(PLUGINS).isEnabledFor(logging.WARNING)
    assert logging.getLogger(MIGRATIONS).isEnabledFor(logging.INFO)


@pytest.mark.usefixtures("restored_logging")
def test_a_quieter_level_stays_quieter_for_the_plugins_too():
    configure_logging("ERROR")

    assert not logging.getLogger(PLUGINS).isEnabledFor(logging.WARNING)
