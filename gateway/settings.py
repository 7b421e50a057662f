"""brokergate's settings, read once from the environment and `.env` and passed down.

Environment names are aliases; OpenAlgo's names (`FLASK_HOST_IP`, `FLASK_PORT`) work too.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    app_key: str = Field(
        validation_alias=AliasChoices("APP_KEY", "app_key"),
        description="Signs sessions and derives the keys that encrypt broker tokens and API keys.",
    )
    api_key_pepper: str = Field(
        validation_alias=AliasChoices("API_KEY_PEPPER", "api_key_pepper"),
        description="Keys the HMAC under which API keys are looked up.",
    )
    database_url: str = Field(
        default="sqlite:///db/brokergate.db", validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    history_database: str = Field(
        default="db/history.duckdb", validation_alias=AliasChoices("HISTORY_DATABASE", "history_database")
    )
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "FLASK_HOST_IP", "host"))
    port: int = Field(default=5000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "FLASK_PORT", "port"))
    websocket_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("WEBSOCKET_HOST", "websocket_host"))
    websocket_port: int = Field(
        default=8765, ge=1, le=65535, validation_alias=AliasChoices("WEBSOCKET_PORT", "websocket_port")
    )
    zmq_address: str = Field(
        default="tcp://127.0.0.1:5555", validation_alias=AliasChoices("ZMQ_ADDRESS", "zmq_address")
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, validation_alias=AliasChoices("MAX_BODY_BYTES", "max_body_bytes")
    )
    market_seed: int = Field(default=7, validation_alias=AliasChoices("MARKET_SEED", "market_seed"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))

    @field_validator("app_key", "api_key_pepper")
    @classmethod
    def _long_enough(cls, value: str, info) -> str:
        name = info.field_name.upper()
        purpose = {
            "APP_KEY": "it signs sessions and derives the token-encryption key",
            "API_KEY_PEPPER": "it keys the hash under which API keys are found",
        }[name]
        if len(value) < _SECRET_LENGTH:
            raise ValueError(f"{name} must be at least {_SECRET_LENGTH} characters ({purpose})")
        return value

    @model_validator(mode="after")
    def _secrets_differ(self) -> Settings:
        if self.app_key == self.api_key_pepper:
            raise ValueError("APP_KEY and API_KEY_PEPPER must differ: each secret has one purpose")
        return self
