"""The spec is valid, every API route comes from it, and the check that generated code matches the YAML works."""

import importlib
import shutil

from openapi_spec_validator import validate

import generated.errors as errors
from gateway.specs import connexion_check, spec
from gateway.specs import operations as operations_of
from tools.generate import ROOT, _differences

SPEC = spec("openapi.yaml")
WEBHOOKS = spec("webhooks.yaml")  # the routes outside /api/v1


def operations():
    for document in (SPEC, WEBHOOKS):
        yield from operations_of(document)


def test_spec_is_valid_openapi_3_0():
    for document in (SPEC, WEBHOOKS):
        assert document["openapi"].startswith("3.0.")
        validate(document)


def test_every_operation_resolves_to_a_handler():
    for path, method, operation in operations():
        module_name, _, function_name = operation["operationId"].rpartition(".")
        assert callable(getattr(importlib.import_module(module_name), function_name)), (method, path)


def test_every_api_route_in_the_app_comes_from_the_spec(app):
    routed = {(method, path) for api in app.middleware.apis for path, method, _ in operations_of(api.specification.raw)}

    assert routed == {(method, path) for path, method, _ in operations()}


def test_every_operation_documents_errors_and_an_example():
    for path, method, operation in operations():
        assert "default" in operation["responses"], (method, path)
        success = operation["responses"].get("200", {}).get("content", {})
        assert any("example" in media or "examples" in media for media in success.values()), (method, path)


def test_error_codes_and_classes_match_one_to_one():
    codes = SPEC["components"]["schemas"]["ErrorCode"]["enum"]

    assert set(errors.BY_CODE) == set(codes)
    assert set(SPEC["components"]["schemas"]["ErrorCode"]["x-error-classes"]) == set(codes)
    for code, cls in errors.BY_CODE.items():
        assert cls.code == code
        assert cls.__name__ == "".join(part.capitalize() for part in code.split("_"))
        assert 400 <= cls.http_status < 600


# That generated/ matches the YAML is `make check-generated`, which `make test` runs before the tests (the
# code generator takes half a minute; running it twice per suite bought nothing). Here: the check's judge.
def test_the_drift_check_names_a_hand_edited_and_a_missing_module(tmp_path):
    committed = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", committed, ignore=shutil.ignore_patterns("__pycache__"))
    assert _differences(ROOT / "generated", committed) == []

    edited = committed / "errors.py"
    edited.write_text(edited.read_text() + "HAND_EDIT = 1\n")
    (committed / "contract.py").unlink()

    problems = _differences(ROOT / "generated", committed)
    assert [problem.split(" ", 1)[0] for problem in problems] == ["generated/contract.py", "generated/errors.py"]
    assert "missing; run `make generate`" in problems[0]
    assert "+HAND_EDIT = 1" not in problems[1] and "-HAND_EDIT = 1" in problems[1]


def test_connexion_finds_both_specs_valid():
    # The server skips this check at start-up (gateway.specs.checked_in_tests); here it still runs.
    for document in (SPEC, WEBHOOKS):
        connexion_check(document)
