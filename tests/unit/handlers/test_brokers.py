"""GET /api/v1/brokers lists every installed broker's manifest, and needs an API key."""


def test_brokers_lists_the_sandbox_and_zerodha_with_their_capabilities(client, api_key):
    response = client.get("/api/v1/brokers", headers={"X-API-KEY": api_key})

    assert response.status_code == 200, response.text
    brokers = {broker["id"]: broker for broker in response.json()["data"]}
    assert {"sandbox", "zerodha"} <= set(brokers)
    assert brokers["zerodha"]["auth"] == "oauth_redirect"
    assert brokers["zerodha"]["capabilities"]["place_order"] == "native"
    assert brokers["zerodha"]["capabilities"]["gtt"] == "native"  # Kite GTT, through the plugin
    assert {"class": "quotes", "limit": 1, "window": "1s"} in brokers["zerodha"]["rate_limits"]


def test_brokers_without_an_api_key_is_refused(client):
    response = client.get("/api/v1/brokers")

    assert response.status_code == 401
    assert response.json()["code"] == "MISSING_API_KEY"
