"""The Python protocol matches contracts/broker-plugin.yaml, and every installed plugin honours both."""

import inspect
from pathlib import Path

import pytest
import yaml

from brokers import Registry
from brokers.contract import BrokerPlugin
from generated.contract import Manifest
from generated.errors import BY_CODE

CONTRACT = yaml.safe_load((Path(__file__).resolve().parents[2] / "contracts" / "broker-plugin.yaml").read_text())
OPERATIONS = CONTRACT["operations"]


def protocol_methods() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(BrokerPlugin).items()
        if inspect.iscoroutinefunction(member)
    }


def test_protocol_and_yaml_name_the_same_operations():
    assert set(protocol_methods()) == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_each_operation_takes_an_account_and_its_input(operation):
    parameters = list(protocol_methods()[operation].parameters)
    has_input = OPERATIONS[operation]["input"] is not None

    assert parameters[:2] == ["self", "account"]
    assert len(parameters) == (3 if has_input else 2)


def test_contract_errors_are_known_codes():
    assert set(CONTRACT["errors"]) <= set(BY_CODE)


def test_capability_keys_exist_in_the_manifest_schema():
    keys = set(Manifest.model_fields["capabilities"].annotation.model_fields)

    assert {spec["capability"] for spec in OPERATIONS.values()} <= keys


@pytest.mark.parametrize("broker_id", Registry.discover().ids())
def test_installed_plugin_has_a_valid_manifest_and_every_operation(app, broker_id):
    registry = app.services.registry
    manifest = Manifest.model_validate(registry.manifest(broker_id).data)
    plugin = registry.get(broker_id)
    if inspect.isclass(plugin):
        pytest.skip(f"{broker_id} is built by the gateway, not by the registry")

    assert manifest.id == broker_id
    for operation in OPERATIONS:
        assert inspect.iscoroutinefunction(getattr(plugin, operation, None)), f"{broker_id} lacks {operation}"
