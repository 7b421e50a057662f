"""brokergate's settings, read once from the environment and `.env` and passed down.

Environment names are aliases; OpenAlgo's names (`FLASK_HOST_IP`, `FLASK_PORT`) work too.
"""

from __future__ import annotations

from datetime import datetime

from limits import parse_many
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.clientip import parse_networks

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
        default=8765, ge=0, le=65535, validation_alias=AliasChoices("WEBSOCKET_PORT", "websocket_port")
    )
    zmq_address: str = Field(
        default="tcp://127.0.0.1:5555", validation_alias=AliasChoices("ZMQ_ADDRESS", "zmq_address")
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, validation_alias=AliasChoices("MAX_BODY_BYTES", "max_body_bytes")
    )
    market_seed: int = Field(default=7, validation_alias=AliasChoices("MARKET_SEED", "market_seed"))
    # Where the offline market's clock starts (IST when naive); unset starts it now. Replays and tests pin it.
    market_start: datetime | None = Field(default=None, validation_alias=AliasChoices("MARKET_START", "market_start"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    # Security and the console. Rate limits use OpenAlgo's names and `.sample.env` values; ";" adds windows.
    api_rate_limit: str = Field(
        default="50 per second", validation_alias=AliasChoices("API_RATE_LIMIT", "api_rate_limit")
    )
    order_rate_limit: str = Field(
        default="10 per second", validation_alias=AliasChoices("ORDER_RATE_LIMIT", "order_rate_limit")
    )
    smart_order_rate_limit: str = Field(
        default="10 per second", validation_alias=AliasChoices("SMART_ORDER_RATE_LIMIT", "smart_order_rate_limit")
    )
    greeks_rate_limit: str = Field(
        default="30 per minute", validation_alias=AliasChoices("GREEKS_RATE_LIMIT", "greeks_rate_limit")
    )
    webhook_rate_limit: str = Field(
        default="100 per minute", validation_alias=AliasChoices("WEBHOOK_RATE_LIMIT", "webhook_rate_limit")
    )
    # Webhook strategies (issue 11).
    webhook_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        validation_alias=AliasChoices("WEBHOOK_WAIT_SECONDS", "webhook_wait_seconds"),
        description="How long a webhook waits for its orders before answering 202 queued (they are placed anyway).",
    )
    webhook_duplicate_seconds: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        validation_alias=AliasChoices("WEBHOOK_DUPLICATE_SECONDS", "webhook_duplicate_seconds"),
        description="A delivery with the same body within this many seconds is a retry of the same alert.",
    )
    login_rate_limit: str = Field(
        default="5 per minute;25 per hour",
        validation_alias=AliasChoices("LOGIN_RATE_LIMIT", "login_rate_limit"),
        description="Console logins, TOTP codes and password re-entry, per client address.",
    )
    trusted_proxies: str = Field(
        default="",
        validation_alias=AliasChoices("TRUSTED_PROXIES", "trusted_proxies"),
        description="Comma-separated CIDRs whose X-Forwarded-For is believed; empty trusts no proxy.",
    )
    ban_invalid_key_limit: str = Field(
        default="20 per hour", validation_alias=AliasChoices("BAN_INVALID_KEY_LIMIT", "ban_invalid_key_limit")
    )
    ban_not_found_limit: str = Field(
        default="100 per hour", validation_alias=AliasChoices("BAN_NOT_FOUND_LIMIT", "ban_not_found_limit")
    )
    ban_hours: int = Field(
        default=24,
        ge=0,
        le=8760,
        validation_alias=AliasChoices("BAN_HOURS", "ban_hours"),
        description="How long an automatic ban lasts; 0 makes it permanent.",
    )
    ban_exempt: str = Field(default="127.0.0.1/32,::1/128", validation_alias=AliasChoices("BAN_EXEMPT", "ban_exempt"))
    session_expiry_time: str = Field(
        default="03:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        validation_alias=AliasChoices("SESSION_EXPIRY_TIME", "session_expiry_time"),
        description="Daily IST time (HH:MM) at which every console session ends.",
    )
    order_watch_interval: float = Field(
        default=2.0,
        ge=0,
        validation_alias=AliasChoices("ORDER_WATCH_INTERVAL", "order_watch_interval"),
        description="Seconds between reads of each live broker user's order book for order updates; 0 turns it off.",
    )
    broker_simulators: str = Field(
        default="",
        validation_alias=AliasChoices("BROKER_SIMULATORS", "broker_simulators"),
        description="Comma-separated live brokers (or `all`) to run on their offline simulators instead of the real API.",
    )
    # VALID_BROKERS (OpenAlgo's name): which installed brokers this deployment offers.
    valid_brokers: str = Field(
        default="",
        validation_alias=AliasChoices("VALID_BROKERS", "valid_brokers"),
        description=(
            "Comma-separated broker ids this deployment offers (the sandbox always stays); empty offers every "
            "installed broker. The API's broker list, the console and the router see only these."
        ),
    )
    host_server: str = Field(
        default="http://127.0.0.1:5000",
        validation_alias=AliasChoices("HOST_SERVER", "host_server"),
        description="The public base URL; https:// turns on Secure cookies and HSTS, and builds OAuth redirects.",
    )
    cors_allowed_origins: str = Field(
        default="",
        validation_alias=AliasChoices("CORS_ALLOWED_ORIGINS", "cors_allowed_origins"),
        description="Comma-separated origins allowed to call /api/v1 from a browser; empty turns CORS off.",
    )
    postback_secret: str = Field(
        default="",
        validation_alias=AliasChoices("POSTBACK_SECRET", "postback_secret"),
        description="Shared secret for broker postbacks; empty refuses every postback.",
    )
    logs_database_url: str = Field(
        default="",
        validation_alias=AliasChoices("LOGS_DATABASE_URL", "logs_database_url"),
        description="Traffic and latency logs; empty means logs.db beside a SQLite DATABASE_URL.",
    )
    traffic_log_retention_days: int = Field(
        default=30, ge=1, validation_alias=AliasChoices("TRAFFIC_LOG_RETENTION_DAYS", "traffic_log_retention_days")
    )
    # Telegram bot
    telegram_api_base: str = Field(
        default="https://api.telegram.org",
        pattern=r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$",
        validation_alias=AliasChoices("TELEGRAM_API_BASE", "telegram_api_base"),
        description="Base URL of the Telegram Bot API (a local Bot API server, or a fake one in tests).",
    )
    telegram_poll_seconds: int = Field(
        default=25,
        ge=1,  # 0 would be a short poll: the loop would ask Telegram again and again without pause
        le=50,
        validation_alias=AliasChoices("TELEGRAM_POLL_SECONDS", "telegram_poll_seconds"),
        description="Long-poll timeout of getUpdates, in seconds.",
    )
    telegram_webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret"),
        description="X-Telegram-Bot-Api-Secret-Token expected on /telegram/webhook; empty: the first 32 hex "
        "characters of the bot token's SHA-256.",
    )
    # Admin data (holidays, timings, freeze quantities).
    sandbox_closed_on_holidays: bool = Field(
        default=True,
        validation_alias=AliasChoices("SANDBOX_CLOSED_ON_HOLIDAYS", "sandbox_closed_on_holidays"),
        description="The sandbox refuses MARKET orders on the market calendar's holidays, with the holiday named.",
    )
    # Monitoring is never locked out by API traffic: /health and /metrics count in their own class.
    monitoring_rate_limit: str = Field(
        default="20 per second",
        validation_alias=AliasChoices("MONITORING_RATE_LIMIT", "monitoring_rate_limit"),
        description="GET /health and GET /metrics, per client address, apart from the API's budget.",
    )
    # Several workers (gateway/sharedlimits.py): where rate limits and ban strikes are counted for all of them.
    rate_limit_storage_url: str | None = Field(
        default=None, validation_alias=AliasChoices("RATE_LIMIT_STORAGE_URL", "rate_limit_storage_url")
    )
    # Set by `brokergate serve --workers N` for its workers: how many there are, and the wall-clock moment
    # (epoch seconds) their offline markets started at, so all step the same prices.
    workers: int = Field(default=1, ge=1, validation_alias=AliasChoices("BROKERGATE_WORKERS", "workers"))
    clock_anchor: float | None = Field(
        default=None, validation_alias=AliasChoices("BROKERGATE_CLOCK_ANCHOR", "clock_anchor")
    )
    # How long the leader's lease lasts unrenewed (gateway/leader.py); a follower takes over after it.
    leader_lease_seconds: float = Field(
        default=10.0, gt=1.0, validation_alias=AliasChoices("LEADER_LEASE_SECONDS", "leader_lease_seconds")
    )
    monitoring_addresses: str = Field(
        default="",
        validation_alias=AliasChoices("MONITORING_ADDRESSES", "monitoring_addresses"),
        description="Comma-separated CIDRs (load balancer, Prometheus) whose /health and /metrics are never limited.",
    )
    # Portfolio, SIP and Telegram limits, with OpenAlgo's names and defaults (backtests are CPU work).
    portfolio_api_rate_limit: str = Field(
        default="10 per minute", validation_alias=AliasChoices("PORTFOLIO_API_RATE_LIMIT", "portfolio_api_rate_limit")
    )
    portfolio_tearsheet_rate_limit: str = Field(
        default="5 per minute",
        validation_alias=AliasChoices("PORTFOLIO_TEARSHEET_RATE_LIMIT", "portfolio_tearsheet_rate_limit"),
    )
    sip_api_rate_limit: str = Field(
        default="10 per minute", validation_alias=AliasChoices("SIP_API_RATE_LIMIT", "sip_api_rate_limit")
    )
    telegram_rate_limit: str = Field(
        default="30 per minute", validation_alias=AliasChoices("TELEGRAM_RATE_LIMIT", "telegram_rate_limit")
    )

    # Python strategies (issue 11): users' own scripts, each run as a supervised process.
    python_strategies_dir: str = Field(
        default="",
        validation_alias=AliasChoices("PYTHON_STRATEGIES_DIR", "python_strategies_dir"),
        description="Folder of uploaded scripts, their logs and working folders; empty means `strategies/` beside a "
        "SQLite database (else `./strategies`).",
    )
    python_strategy_interpreter: str = Field(
        default="",
        validation_alias=AliasChoices("PYTHON_STRATEGY_INTERPRETER", "python_strategy_interpreter"),
        description="The Python that runs the scripts (the openalgo SDK needs 3.12 or newer); empty means brokergate's own.",
    )
    python_strategy_pythonpath: str = Field(
        default="",
        validation_alias=AliasChoices("PYTHON_STRATEGY_PYTHONPATH", "python_strategy_pythonpath"),
        description="PYTHONPATH given to every script (os.pathsep-separated); empty gives none.",
    )
    python_strategy_memory_mb: int = Field(
        default=1024,
        ge=64,
        validation_alias=AliasChoices("STRATEGY_MEMORY_LIMIT_MB", "python_strategy_memory_mb"),
        description="Address-space limit of each script (RLIMIT_AS), in MiB.",
    )
    python_strategy_cpu_seconds: int = Field(
        default=3600,
        ge=1,
        validation_alias=AliasChoices("PYTHON_STRATEGY_CPU_SECONDS", "python_strategy_cpu_seconds"),
        description="CPU time a script may use in one run (RLIMIT_CPU), in seconds.",
    )
    python_strategy_open_files: int = Field(
        default=256,
        ge=16,
        validation_alias=AliasChoices("PYTHON_STRATEGY_OPEN_FILES", "python_strategy_open_files"),
        description="Open files and sockets of each script (RLIMIT_NOFILE).",
    )
    python_strategy_file_size_mb: int = Field(
        default=100,
        ge=1,
        validation_alias=AliasChoices("PYTHON_STRATEGY_FILE_SIZE_MB", "python_strategy_file_size_mb"),
        description="Largest file a script may write (RLIMIT_FSIZE), in MiB.",
    )
    python_strategy_log_max_mb: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices("STRATEGY_LOG_MAX_SIZE_MB", "python_strategy_log_max_mb"),
        description="Size at which a script's log file rotates, in MiB.",
    )
    python_strategy_log_files: int = Field(
        default=5,
        ge=1,
        le=100,
        validation_alias=AliasChoices("STRATEGY_LOG_MAX_FILES", "python_strategy_log_files"),
        description="Rotated log files kept per script, besides the current one.",
    )
    python_strategy_max_script_kb: int = Field(
        default=256,
        ge=1,
        le=1024,
        validation_alias=AliasChoices("PYTHON_STRATEGY_MAX_SCRIPT_KB", "python_strategy_max_script_kb"),
        description="Largest script an upload or edit may store, in KiB.",
    )
    python_strategy_max_running: int = Field(
        default=10,
        ge=1,
        validation_alias=AliasChoices("PYTHON_STRATEGY_MAX_RUNNING", "python_strategy_max_running"),
        description="Scripts one user may run at the same time.",
    )
    python_strategy_stop_seconds: float = Field(
        default=5.0,
        ge=0.1,
        le=120,
        validation_alias=AliasChoices("PYTHON_STRATEGY_STOP_SECONDS", "python_strategy_stop_seconds"),
        description="Seconds between SIGTERM and SIGKILL when a script is stopped.",
    )
    python_strategy_rate_limit: str = Field(
        default="30 per minute",
        validation_alias=AliasChoices("PYTHON_STRATEGY_RATE_LIMIT", "python_strategy_rate_limit"),
        description="Uploads, edits, starts, stops and schedule changes of Python strategies, per user.",
    )

    @field_validator(
        "api_rate_limit",
        "order_rate_limit",
        "smart_order_rate_limit",
        "greeks_rate_limit",
        "webhook_rate_limit",
        "login_rate_limit",
        "ban_invalid_key_limit",
        "ban_not_found_limit",
        "monitoring_rate_limit",
        "python_strategy_rate_limit",
        "portfolio_api_rate_limit",
        "portfolio_tearsheet_rate_limit",
        "sip_api_rate_limit",
        "telegram_rate_limit",
    )
    @classmethod
    def _rate_limit_syntax(cls, value: str, info) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                f"{info.field_name.upper()} must look like '10 per second' or '10 per second;200 per minute', "
                f"not {value!r}"
            ) from None
        return value

    @field_validator("monitoring_addresses")
    @classmethod
    def _monitoring_networks(cls, value: str) -> str:
        parse_networks(value, setting="MONITORING_ADDRESSES")
        return value

    @field_validator("cors_allowed_origins")
    @classmethod
    def _no_wildcard_origin(cls, value: str) -> str:
        if "*" in value:
            raise ValueError("CORS_ALLOWED_ORIGINS must list origins explicitly; '*' would allow every site")
        return value

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
