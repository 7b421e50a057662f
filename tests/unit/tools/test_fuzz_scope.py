"""What a live broker's fuzz run leaves to the sandbox's: only whole tags of the spec, none that reach a plugin."""

import importlib
from pathlib import Path

from gateway.specs import operations, spec
from tools.fuzz import LIVE_EXCLUDED_TAGS


def _operations_by_tag() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for _, _, operation in operations(spec("openapi.yaml")):
        found.setdefault(operation["tags"][0], []).append(operation["operationId"])
    return found


def test_every_left_out_tag_is_a_tag_of_the_spec():
    # A misspelt tag would leave its operations in every live broker's run, silently.
    assert set(LIVE_EXCLUDED_TAGS) <= set(_operations_by_tag())


def test_no_handler_of_a_left_out_tag_routes_to_a_broker():
    # The handler modules of those tags never pick the caller's broker themselves (orders they cause go
    # through the order desk, which placeorder's fuzzing covers for every broker).
    for tag in LIVE_EXCLUDED_TAGS:
        for operation_id in _operations_by_tag()[tag]:
            module = importlib.import_module(operation_id.rpartition(".")[0])
            source = Path(module.__file__).read_text()
            assert "routed(" not in source and ".router" not in source, (tag, operation_id)
