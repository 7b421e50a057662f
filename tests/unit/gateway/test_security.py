"""API keys are stored as keyed digests and encrypted copies; passwords as argon2id; tokens under Fernet."""

import logging

import pytest
from sqlmodel import Session, select

from gateway.logs import REDACTED, RedactSecrets
from gateway.security import Vault, digest_api_key, hash_password, verify_password
from storage import ApiKey, BrokerSession


def test_api_key_is_64_hex_and_stored_only_as_digest_and_ciphertext(app, api_key):
    with Session(app.services.engine) as session:
        row = session.exec(select(ApiKey)).one()

    assert len(api_key) == 64 and int(api_key, 16) >= 0
    assert row.key_digest == digest_api_key(api_key, app.services.settings.api_key_pepper)
    assert api_key not in row.key_encrypted
    assert app.services.accounts.api_keys("trader")[0].api_key == api_key


def test_digest_depends_on_the_pepper():
    assert digest_api_key("k" * 64, "p" * 32) != digest_api_key("k" * 64, "q" * 32)


def test_passwords_use_argon2id():
    stored = hash_password("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong")


def test_broker_tokens_are_encrypted_with_a_key_of_their_own(app, api_key):
    user = app.services.accounts.authenticate(api_key)
    from storage import utcnow

    app.services.sessions.store(user.user_id, "zerodha", "secret-access-token", utcnow())

    with Session(app.services.engine) as session:
        stored = session.exec(select(BrokerSession)).one().token_encrypted
    assert "secret-access-token" not in stored
    assert Vault(app.services.settings.app_key, "broker-token").decrypt(stored) == "secret-access-token"
    with pytest.raises(ValueError):
        Vault(app.services.settings.app_key, "api-key").decrypt(stored)


def test_redaction_filter_hides_keys_and_known_secrets():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key %s and %s", ("ab" * 32, "hunter2-secret"), None)

    RedactSecrets(("hunter2-secret",)).filter(record)

    assert record.getMessage() == f"key {REDACTED} and {REDACTED}"


def test_no_secret_reaches_the_logs_during_requests(app, client, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    handler_filter = RedactSecrets((app.services.settings.app_key, app.services.settings.api_key_pepper))
    logging.getLogger().addFilter(handler_filter)
    for handler in logging.getLogger().handlers:
        handler.addFilter(handler_filter)
    try:
        client.post("/api/v1/ping", json={"apikey": api_key})
        client.post("/api/v1/ping", json={"apikey": api_key[:-1] + "0"})
        client.post("/api/v1/ping", content=b"{" + api_key.encode(), headers={"Content-Type": "application/json"})
    finally:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(handler_filter)
        logging.getLogger().removeFilter(handler_filter)

    text = "\n".join(handler_filter.filter(r) and r.getMessage() for r in caplog.records)
    assert api_key not in text
    assert api_key[:-1] not in text
    assert app.services.settings.app_key not in text
