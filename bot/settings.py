"""Configuration, read once from environment variables and an optional .env file into a typed
object. The only module that reads the environment. Bad values stop start-up with one sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.i18n import CLI_LANGUAGE, CLI_LANGUAGES, DEFAULT_CLI_LANGUAGE, t
from flows.followups import FollowUpPolicy
from flows.retention import RetentionPolicy
from flows.routing import RoutingPolicy
from flows.subject_policy import SANDBOX_SECRET, SubjectPolicy
from flows.vocabulary import Urgency

TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{10,}$")
TELEGRAM_API = "https://api.telegram.org/bot"
DAY_SECONDS = 86_400  # no acknowledgement window or sweep is longer than a day
MONTH_HOURS = 720
SECRET_VARIABLES = frozenset(
    {"TELEGRAM_BOT_TOKEN", "RELAIS_SUBJECT_KEY_SECRET", "RELAIS_WEBHOOK_SECRET"}
)
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")  # Telegram's alphabet, 256 at most
MIN_SECRET_LENGTH = 16
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
URL_VARIABLES = frozenset({"DATABASE_URL", "TELEGRAM_API_BASE_URL"})
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)\S*@")


class ConfigError(Exception):
    """A configuration problem, as one sentence a person can act on."""


class _Unshown(ValueError):
    """A bad value whose sentence must not repeat it (it holds part of a secret)."""


class _CliLanguage(BaseSettings):
    """RELAIS_CLI_LANGUAGE alone: read before the rest, so that what is wrong with the rest
    is said in that language."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    cli_language: str = Field(default=DEFAULT_CLI_LANGUAGE, validation_alias="RELAIS_CLI_LANGUAGE")

    @field_validator("cli_language")
    @classmethod
    def _cli_language(cls, value: str) -> str:
        language = value.strip().lower() or DEFAULT_CLI_LANGUAGE
        if language not in CLI_LANGUAGES:
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.cli_language"))
        return language


class Settings(_CliLanguage):
    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(
        default=TELEGRAM_API, validation_alias="TELEGRAM_API_BASE_URL"
    )
    database_url: str = Field(default="sqlite:///relais.db", validation_alias="DATABASE_URL")
    timezone: str = Field(
        default="America/Montreal", validation_alias=AliasChoices("RELAIS_TIMEZONE", "TZ_NAME")
    )
    fallback_line: str = Field(
        default="Info-Social 811", validation_alias="RELAIS_FALLBACK_LINE", min_length=3
    )
    invite_ttl_hours: int = Field(
        default=72, validation_alias="RELAIS_INVITE_TTL_HOURS", ge=1, le=MONTH_HOURS
    )
    phone_region: str = Field(default="CA", validation_alias="RELAIS_PHONE_REGION")
    screening_path: Path = Field(
        default=Path("screening.yaml"), validation_alias="RELAIS_SCREENING_PATH"
    )
    directory_path: Path = Field(
        default=Path("resources_directory.yaml"), validation_alias="RELAIS_DIRECTORY_PATH"
    )
    directory_stale_months: int = Field(
        default=12, validation_alias="RELAIS_DIRECTORY_STALE_MONTHS", ge=1, le=240
    )
    directory_check_seconds: int = Field(
        default=60, validation_alias="RELAIS_DIRECTORY_CHECK_SECONDS", ge=1, le=86400
    )
    bot_username: str | None = Field(default=None, validation_alias="RELAIS_BOT_USERNAME")
    concurrent_updates: int = Field(
        default=64, validation_alias="RELAIS_CONCURRENT_UPDATES", ge=1, le=1024
    )
    log_level: str = Field(default="INFO", validation_alias="RELAIS_LOG_LEVEL")
    worker_capacity: int = Field(default=3, validation_alias="RELAIS_WORKER_CAPACITY", ge=1, le=50)
    ack_immediate_seconds: int = Field(
        default=60, validation_alias="RELAIS_ACK_IMMEDIATE_SECONDS", ge=1, le=DAY_SECONDS
    )
    ack_urgent_seconds: int = Field(
        default=180, validation_alias="RELAIS_ACK_URGENT_SECONDS", ge=1, le=DAY_SECONDS
    )
    ack_advice_seconds: int = Field(
        default=900, validation_alias="RELAIS_ACK_ADVICE_SECONDS", ge=1, le=DAY_SECONDS
    )
    requeue_seconds: int = Field(
        default=300, validation_alias="RELAIS_REQUEUE_SECONDS", ge=1, le=DAY_SECONDS
    )
    sweep_seconds: int = Field(default=15, validation_alias="RELAIS_SWEEP_SECONDS", ge=1, le=3600)
    followup_grace_hours: int = Field(
        default=24, validation_alias="RELAIS_FOLLOWUP_GRACE_HOURS", ge=1, le=720
    )
    followup_late_seconds: int = Field(
        default=60, validation_alias="RELAIS_FOLLOWUP_LATE_SECONDS", ge=0, le=86400
    )
    followup_sweep_seconds: int = Field(
        default=30, validation_alias="RELAIS_FOLLOWUP_SWEEP_SECONDS", ge=1, le=3600
    )
    morning_hour: int = Field(default=9, validation_alias="RELAIS_MORNING_HOUR", ge=0, le=23)
    supervisor_summary_hour: int = Field(
        default=8, validation_alias="RELAIS_SUPERVISOR_SUMMARY_HOUR", ge=0, le=23
    )
    # --- retention (issue 11) ---
    retention_days: int = Field(
        default=730, validation_alias="RELAIS_RETENTION_DAYS", ge=1, le=3650
    )
    transport_retention_days: int = Field(
        default=30, validation_alias="RELAIS_TRANSPORT_RETENTION_DAYS", ge=2, le=365
    )

    # --- people seen before (issue 11) ---
    subject_key_secret: SecretStr | None = Field(
        default=None, validation_alias="RELAIS_SUBJECT_KEY_SECRET"
    )
    history_days: int = Field(default=365, validation_alias="RELAIS_HISTORY_DAYS", ge=1, le=3650)
    recurring_count: int = Field(default=3, validation_alias="RELAIS_RECURRING_COUNT", ge=2, le=100)
    recurring_days: int = Field(default=90, validation_alias="RELAIS_RECURRING_DAYS", ge=1, le=3650)
    owner_first_percent: int = Field(
        default=50, validation_alias="RELAIS_OWNER_FIRST_PERCENT", ge=0, le=100
    )

    @field_validator("subject_key_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value().strip() == "":
            return None
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.secret_short", length=MIN_SECRET_LENGTH))
        return value

    # --- reports (issue 12) ---
    report_min_cell: int = Field(default=5, validation_alias="RELAIS_REPORT_MIN_CELL", ge=1, le=100)
    report_hour: int = Field(default=8, validation_alias="RELAIS_REPORT_HOUR", ge=0, le=23)
    # --- reliability (issue 13) ---
    messages_per_second: float = Field(
        default=28.0, validation_alias="RELAIS_MESSAGES_PER_SECOND", ge=0, le=1000
    )
    chat_messages_per_second: float = Field(
        default=1.0, validation_alias="RELAIS_CHAT_MESSAGES_PER_SECOND", ge=0, le=100
    )
    chat_burst: int = Field(default=2, validation_alias="RELAIS_CHAT_BURST", ge=1, le=100)
    startup_retry_seconds: int = Field(
        default=300, validation_alias="RELAIS_STARTUP_RETRY_SECONDS", ge=0, le=DAY_SECONDS
    )
    http_port: int = Field(default=0, validation_alias="RELAIS_HTTP_PORT", ge=0, le=65535)
    telegram_bot_token_file: Path | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN_FILE"
    )  # the token kept in a file (a secret mount), never on a command line
    log_format: str = Field(default="text", validation_alias="RELAIS_LOG_FORMAT")
    db_pool_size: int = Field(default=10, validation_alias="RELAIS_DB_POOL_SIZE", ge=1, le=200)
    db_max_overflow: int = Field(
        default=20, validation_alias="RELAIS_DB_MAX_OVERFLOW", ge=0, le=200
    )
    http_host: str = Field(default="127.0.0.1", validation_alias="RELAIS_HTTP_HOST")
    # --- webhook mode (issue 13) ---
    webhook_url: str | None = Field(default=None, validation_alias="RELAIS_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="RELAIS_WEBHOOK_SECRET")
    webhook_secret_file: Path | None = Field(
        default=None, validation_alias="RELAIS_WEBHOOK_SECRET_FILE"
    )  # the secret kept in a file, like the token
    webhook_replay_seconds: int = Field(
        default=10, validation_alias="RELAIS_WEBHOOK_REPLAY_SECONDS", ge=1, le=3600
    )
    # Telegram's parallel deliveries: 1 keeps each chat's order across several processes
    webhook_max_connections: int = Field(
        default=1, validation_alias="RELAIS_WEBHOOK_MAX_CONNECTIONS", ge=1, le=100
    )
    # how long the 200 waits for the update's handling (0: answered once stored)
    webhook_handling_wait_seconds: float = Field(
        default=10.0, validation_alias="RELAIS_WEBHOOK_HANDLING_WAIT_SECONDS", ge=0, le=60
    )
    instance_name: str | None = Field(default=None, validation_alias="RELAIS_INSTANCE_NAME")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        value = value.strip()
        match = re.match(r"^(https?)://([^\s/:]+|\[[^\]]+\])(:\d+)?(/\S*)?$", value)
        if match is None:
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.webhook_url"))
        if match.group(1) == "http" and match.group(2) not in LOOPBACK_HOSTS:
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.webhook_https"))
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value().strip() == "":
            return None
        if not WEBHOOK_SECRET.fullmatch(value.get_secret_value().strip()):
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.webhook_secret"))
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is not None and value.strip() == "":
            return None
        if value is not None and not TOKEN_PATTERN.match(value.strip()):
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.token"))
        return value.strip() if value else value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.api_url"))
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(t(CLI_LANGUAGE, "cli.database_url.not_a_url")) from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(t(CLI_LANGUAGE, "cli.database_url.backend"))
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            value = value.replace("postgresql://", "postgresql+psycopg://", 1)
        elif url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
            # the only PostgreSQL driver installed (psycopg2, asyncpg... are not)
            raise ValueError(t(CLI_LANGUAGE, "cli.database_url.driver"))
        elif url.get_backend_name() == "sqlite" and url.get_driver_name() != "pysqlite":
            raise ValueError(t(CLI_LANGUAGE, "cli.database_url.sqlite_driver"))
        # An '@' of the password not written %40 ends it there: the rest would be taken for
        # the host (or, after a '/', the database) and shown in every connection error.
        if "@" in (url.host or "") or (url.password and "@" in (url.database or "")):
            raise _Unshown(t(CLI_LANGUAGE, "cli.database_url.at_in_password"))
        # With no name the server's default database (`postgres`, or the user's) would be
        # migrated; SQLite's empty path is a throwaway database gone when the process ends.
        if url.get_backend_name() == "postgresql" and not url.database:
            if not url.query.get("dbname"):
                raise ValueError(t(CLI_LANGUAGE, "cli.database_url.no_database"))
        elif url.get_backend_name() == "sqlite" and not url.database:
            raise ValueError(t(CLI_LANGUAGE, "cli.database_url.no_sqlite_file"))
        return value

    @field_validator("telegram_bot_token_file", "webhook_secret_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`TELEGRAM_BOT_TOKEN_FILE=` (a template's blank line) is no file, not the folder."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("phone_region")
    @classmethod
    def _phone_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.phone_region"))
        return region

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.timezone")) from exc
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.log_format"))
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(t(CLI_LANGUAGE, "cli.settings.log_level"))
        return value.upper()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def policy(self) -> RoutingPolicy:
        return RoutingPolicy(
            capacity=self.worker_capacity,
            windows={
                Urgency.IMMEDIATE: timedelta(seconds=self.ack_immediate_seconds),
                Urgency.URGENT: timedelta(seconds=self.ack_urgent_seconds),
                Urgency.ADVICE: timedelta(seconds=self.ack_advice_seconds),
            },
            requeue_every=timedelta(seconds=self.requeue_seconds),
            zone=self.zone,
            subjects=self.subject_policy,
        )

    @property
    def subject_policy(self) -> SubjectPolicy:
        secret = self.subject_key_secret
        return SubjectPolicy(
            secret=secret.get_secret_value().encode() if secret else SANDBOX_SECRET,
            history_days=self.history_days,
            recurring_count=self.recurring_count,
            recurring_days=self.recurring_days,
            owner_first_share=self.owner_first_percent / 100,
            phone_region=self.phone_region,
            zone=self.timezone,
        )

    @property
    def on_sandbox(self) -> bool:
        """The Bot API is this machine's (the sandbox, the demo): no real person's data."""
        host = self.telegram_api_base_url.split("://", 1)[-1].split("/", 1)[0]
        return host.rsplit(":", 1)[0] in LOOPBACK_HOSTS or host in LOOPBACK_HOSTS

    def require_subject_secret(self) -> None:
        """`relais run` toward Telegram refuses to start without the subject-key secret."""
        if self.subject_key_secret is None and not self.on_sandbox:
            raise ConfigError(t(CLI_LANGUAGE, "cli.settings.no_subject_secret"))

    @property
    def followup_policy(self) -> FollowUpPolicy:
        return FollowUpPolicy(
            zone=self.zone,
            grace=timedelta(hours=self.followup_grace_hours),
            late_after=timedelta(seconds=self.followup_late_seconds),
            morning_hour=self.morning_hour,
            summary_hour=self.supervisor_summary_hour,
        )

    @property
    def retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(
            free_text=timedelta(days=self.retention_days),
            transport=timedelta(days=self.transport_retention_days),
        )

    def require_token(self) -> str:
        if not self.telegram_bot_token and self.telegram_bot_token_file is not None:
            self.telegram_bot_token = _token_from_file(self.telegram_bot_token_file)
        if not self.telegram_bot_token:
            raise ConfigError(t(CLI_LANGUAGE, "cli.settings.no_token"))
        return self.telegram_bot_token

    @property
    def webhook_mode(self) -> bool:
        return self.webhook_url is not None

    def configured_webhook_secret(self) -> str | None:
        """The webhook's secret token from RELAIS_WEBHOOK_SECRET or its file, if given (else
        `relais run` generates one and keeps it in the database, shared by every process)."""
        if self.webhook_secret is None and self.webhook_secret_file is not None:
            self.webhook_secret = SecretStr(_webhook_secret_from_file(self.webhook_secret_file))
        return self.webhook_secret.get_secret_value() if self.webhook_secret else None

    def require_webhook_port(self) -> None:
        if self.webhook_mode and not self.http_port:
            raise ConfigError(t(CLI_LANGUAGE, "cli.settings.webhook_port"))


def _webhook_secret_from_file(path: Path) -> str:
    """The secret in RELAIS_WEBHOOK_SECRET_FILE (one line); its content is never shown."""
    return _secret_from_file(
        path,
        "RELAIS_WEBHOOK_SECRET_FILE",
        WEBHOOK_SECRET.fullmatch,
        "cli.secret_file.bad_webhook_secret",
    )


def _token_from_file(path: Path) -> str:
    """The token in TELEGRAM_BOT_TOKEN_FILE (one line); its content is never shown."""
    return _secret_from_file(
        path,
        "TELEGRAM_BOT_TOKEN_FILE",
        TOKEN_PATTERN.match,
        "cli.secret_file.bad_token",
    )


def _secret_from_file(path: Path, variable: str, valid: Callable[[str], object], wrong: str) -> str:
    """One line of a secret file, checked; an error names the variable and the file, never
    what the file holds. wrong: the catalog key of what is wrong with a bad line."""
    try:
        value = path.read_text(encoding="utf-8-sig").strip()  # a BOM, as some editors write
    except OSError as exc:
        unread = t(CLI_LANGUAGE, "cli.secret_file.unreadable", error=type(exc).__name__)
        raise ConfigError(f"{variable}: {path} {unread}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{variable}: {path} {t(CLI_LANGUAGE, 'cli.not_utf8')}") from None
    if not valid(value):
        raise ConfigError(f"{variable}: {path} {t(CLI_LANGUAGE, wrong)}")
    return value


def read_cli_language() -> str:
    """RELAIS_CLI_LANGUAGE (environment or .env): en or fr; ConfigError with one sentence
    otherwise."""
    try:
        return _CliLanguage().cli_language
    except ValidationError as exc:
        raise ConfigError(_sentence(exc)) from None
    except UnicodeDecodeError:  # the only file read here
        env_file = Path(".env").resolve()
        raise ConfigError(f"{env_file} {t(CLI_LANGUAGE, 'cli.not_utf8')}") from None


def load_settings(**overrides: Any) -> Settings:
    """Read the configuration; raise ConfigError with one sentence naming what to fix."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_sentence(exc)) from None
    except UnicodeDecodeError:  # the only file read here
        env_file = Path(".env").resolve()
        raise ConfigError(f"{env_file} {t(CLI_LANGUAGE, 'cli.not_utf8')}") from None


def _sentence(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "configuration"
    variable = _env_name(field)
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if isinstance(error.get("ctx", {}).get("error"), _Unshown):
        return f"{variable} {message}."
    return f"{variable} {message}{_shown(variable, error.get('input'))}."


def _shown(variable: str, value: object) -> str:
    """The value given, to help fix it; never a token, never a password inside a URL."""
    if variable in SECRET_VARIABLES or not isinstance(value, str | int):
        return ""
    if variable in URL_VARIABLES:
        value = mask_password(str(value))
    return t(CLI_LANGUAGE, "cli.settings.got", value=repr(value))


def mask_password(text: str) -> str:
    """Text with the password of any URL in it (scheme://user:password@host) replaced by ***."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field.upper()
