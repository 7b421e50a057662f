"""Mark the streaming unit tests `websocket`, so `pytest -k websocket` runs them with the e2e ones."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "websocket: streaming server, bus and feed tests")
