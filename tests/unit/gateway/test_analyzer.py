"""Analyzer mode is per user, persisted, and implied while a user has no live broker session."""

from datetime import timedelta

from storage import utcnow


def test_new_user_is_in_analyze_mode(client, api_key):
    response = client.post("/api/v1/analyzer", json={"apikey": api_key})

    assert response.json()["data"] == {"mode": "analyze", "analyze_mode": True, "total_logs": 0}


def test_turning_off_without_a_broker_keeps_analyze_and_says_why(client, api_key):
    data = client.post("/api/v1/analyzer/toggle", json={"apikey": api_key, "mode": False}).json()["data"]

    assert data["analyze_mode"] is True
    assert "no live broker" in data["message"]


def test_mode_is_per_user_and_persisted(app, client, api_key):
    app.services.accounts.create_user("other", "another password")
    other_key = app.services.accounts.create_api_key("other")
    for key in (api_key, other_key):
        user = app.services.accounts.authenticate(key)
        app.services.sessions.store(user.user_id, "sandbox", "token", utcnow() + timedelta(hours=5))

    client.post("/api/v1/analyzer/toggle", json={"apikey": api_key, "mode": False})

    assert client.post("/api/v1/analyzer", json={"apikey": api_key}).json()["data"]["mode"] == "live"
    assert client.post("/api/v1/analyzer", json={"apikey": other_key}).json()["data"]["mode"] == "analyze"
