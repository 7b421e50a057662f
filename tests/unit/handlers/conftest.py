"""The API as a signed-in client calls it: `trader("placeorder", **fields)` posts with the key and
returns the JSON body, failing the test when the status is not the expected one."""

import pytest


@pytest.fixture
def trader(client, api_key):
    def post(path: str, expect: int = 200, headers: dict | None = None, **body):
        response = client.post(f"/api/v1/{path}", json={"apikey": api_key, **body}, headers=headers or {})
        assert response.status_code == expect, response.text
        return response.json()

    return post
