"""The Python strategies page: upload or write a script, start and stop it, read its log; bad input is a typed 4xx."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from tests.conftest import eventually
from tests.security.conftest import PASSWORD, csrf_of, sign_up

SCRIPT = "import time\nprint('tick', flush=True)\nwhile True:\n    time.sleep(0.1)\n"


@pytest.fixture
def app(settings, tmp_path):
    settings = settings.model_copy(
        update={
            "python_strategies_dir": str(tmp_path / "strategies"),
            "python_strategy_max_script_kb": 2,
            "python_strategy_stop_seconds": 2.0,
        }
    )
    return create_app(settings, validate_responses=True)


def _save(client, token: str, *, files=None, **fields):
    return client.post("/console/python/save", data=fields, files=files, headers={"X-CSRF-Token": token})


def _do(client, token: str, action: str, **fields):
    return client.post(f"/console/python/do/{action}", data=fields, headers={"X-CSRF-Token": token})


def test_upload_start_log_edit_schedule_stop_and_delete_from_the_page(client):
    sign_up(client)
    page = client.get("/python")
    token = csrf_of(page.text)

    uploaded = _save(client, token, files={"file": ("ticker.py", SCRIPT.encode(), "text/x-python")})
    written = _save(client, token, name="Written here", source="print('hello')\n")
    strategy_id = uploaded.json()["data"]["id"]
    started = _do(client, token, "start", id=str(strategy_id))
    eventually(lambda: any(line.endswith(" tick") for line in client.get(f"/console/python/log?id={strategy_id}").json()["data"]["lines"]), timeout=15)  # fmt: skip
    edited = _save(client, token, id=str(strategy_id), source=SCRIPT.replace("tick", "tock"))
    source = client.get(f"/console/python/source?id={strategy_id}").json()["data"]["source"]
    scheduled = client.post(
        "/console/python/do/schedule",
        data={"id": str(strategy_id), "days": ["mon", "wed"], "start": "09:30", "stop": "15:00"},
        headers={"X-CSRF-Token": token},
    )
    stopped = _do(client, token, "stop", id=str(strategy_id))
    deleted = _do(client, token, "delete", id="Written here")
    listed = client.get("/console/python/list").json()["data"]

    assert page.status_code == 200 and "/static/pystrategies.js" in page.text and 'href="/python"' in page.text
    assert uploaded.status_code == 200 and uploaded.json()["data"]["name"] == "ticker"
    assert written.status_code == 200 and written.json()["data"]["status"] == "stopped"
    assert started.json()["data"]["status"] == "running"
    assert edited.status_code == 200 and "tock" in source
    assert scheduled.json()["data"]["schedule"]["days"] == ["mon", "wed"]
    assert stopped.json()["data"]["status"] == "stopped"
    assert deleted.json()["data"]["removed"] is True
    assert [strategy["name"] for strategy in listed] == ["ticker"]


def test_bad_input_is_a_typed_4xx_never_a_500(client):
    sign_up(client)
    token = csrf_of(client.get("/python").text)
    _save(client, token, name="kept", source="print(1)\n")

    cases = {
        "syntax": (_save(client, token, name="broken", source="def f(:\n"), 400, "VALIDATION_FAILED"),
        "name": (_save(client, token, name="../../x", source="print(1)\n"), 400, "VALIDATION_FAILED"),
        "nothing": (_save(client, token, name="empty"), 400, "VALIDATION_FAILED"),
        "too big": (
            _save(client, token, files={"file": ("big.py", b"x = 1\n" * 1000, "text/x-python")}),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        "binary": (_save(client, token, files={"file": ("bin.py", b"\xff\xfe\x00", "text/x-python")}), 400, "VALIDATION_FAILED"),
        "taken": (_save(client, token, name="kept", source="print(2)\n"), 400, "VALIDATION_FAILED"),
        "unknown id": (_do(client, token, "start", id="9999"), 404, "NOT_FOUND"),
        "no id": (_do(client, token, "stop"), 404, "NOT_FOUND"),
        "bad days": (_do(client, token, "schedule", id="kept", days="someday", start="09:15", stop="10:00"), 400, "VALIDATION_FAILED"),
        "bad time": (_do(client, token, "schedule", id="kept", days="mon", start="25:00", stop="10:00"), 400, "VALIDATION_FAILED"),
        "bad action": (_do(client, token, "explode", id="kept"), 404, "NOT_FOUND"),
        "bad read": (client.get("/console/python/secrets"), 404, "NOT_FOUND"),
    }  # fmt: skip
    forged = client.post("/console/python/save", data={"name": "x", "source": "print(1)\n"})

    for case, (response, status, code) in cases.items():
        assert (response.status_code, response.json()["code"]) == (status, code), case
    assert forged.status_code == 403


def test_another_user_cannot_see_or_touch_a_strategy(client, app):
    sign_up(client)
    token = csrf_of(client.get("/python").text)
    mine = _save(client, token, name="private", source="print(1)\n").json()["data"]["id"]
    app.services.accounts.create_user("other", PASSWORD)
    client.post("/logout", data={"csrf_token": token})
    login_token = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": "other", "password": PASSWORD, "csrf_token": login_token})
    token = csrf_of(client.get("/python").text)

    listed = client.get("/console/python/list").json()["data"]
    read = client.get(f"/console/python/source?id={mine}")
    started = _do(client, token, "start", id=str(mine))

    assert listed == [] and read.status_code == 404 and started.status_code == 404
