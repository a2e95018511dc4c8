"""Settings, read once from the environment and `.env` (see `.env.example` for every name)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Everything an operator can set; the names are part of the product's contract."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str = ""
    zalo_bot_token: str = ""
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: str = ""
    # Zalo Official Account (bot.channels.zalo_oa): on when the app id is set.
    zalo_oa_app_id: str = ""
    zalo_oa_secret_key: str = ""  # the OA's secret key: checks the webhook's signature
    zalo_oa_app_secret: str = ""  # the app's secret: renews the access token
    zalo_oa_refresh_token: str = ""  # the first refresh token only (then kept in the database)
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'tiepdan.sqlite3'}"
    data_dir: Path = DEFAULT_DATA_DIR
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    org_file: Path | None = None
    rules_file: Path | None = None
    calendar_overrides_file: Path | None = None
    webhook_base_url: str = ""
    telegram_webhook_secret: str = ""
    invite_ttl_hours: int = Field(default=72, ge=1)
    max_file_mb: int = Field(default=20, ge=1)
    outbox_global_rate: float = Field(default=30.0, gt=0)
    outbox_per_chat_rate: float = Field(default=1.0, gt=0)
    outbox_per_chat_burst: int = Field(default=3, ge=1)
    outbox_max_in_flight: int = Field(default=8, ge=1)
    # A chat that sends more than this at once, and faster than one a second, floods (bot.pace).
    flood_burst: int = Field(default=10, ge=1)
    cpu_affinity: str = "auto"
    # Several worker processes on one PostgreSQL database (docs/operations/deployment.md): this
    # one's name in queue claims (default: host:pid; "main" on SQLite).
    worker_name: str = ""
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for collectors
    # DEBUG, INFO, WARNING or ERROR, in any case; the libraries keep their floors (bot.logs).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    scheduler_tick_seconds: float = Field(default=30.0, gt=0)
    dialogue_reminder_hours: list[float] = Field(default=[24.0, 2.0])
    # Reports: a month's data closes the day before this day (LEGAL §6; 1 = calendar months).
    report_cutoff_day: int = Field(default=15, ge=1, le=28)
    # Links to files for messengers that cannot take an upload (Zalo): signed, and valid this long.
    file_link_secret: str = ""
    file_link_days: int = Field(default=30, ge=1)
    # Personal data kept no longer than needed (LEGAL §7; the petition file itself is a record):
    # copies of handled updates and sent messages, and drafts left half way.
    keep_messages_days: int = Field(default=90, ge=3)  # Zalo OA's 48 h window reads the inbox
    keep_drafts_days: int = Field(default=30, ge=1)
    sandbox: bool | None = None

    @field_validator("org_file", "rules_file", "calendar_overrides_file", "sandbox", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`ORG_FILE=` in a .env file means "use the default", not the current directory."""
        return None if value == "" else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        """`LOG_LEVEL=debug` is as good as `DEBUG`."""
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def secret_values(self) -> list[str]:
        """What no log line may show (`bot.logs` hides it): tokens, secrets, the database's
        password (as written in the URL and decoded)."""
        values = [
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.zalo_bot_token,
            self.zalo_webhook_secret,
            self.zalo_oa_secret_key,
            self.zalo_oa_app_secret,
            self.zalo_oa_refresh_token,
            self.file_link_secret,
        ]
        password = urlsplit(self.database_url).password
        if password:
            values += [password, unquote(password)]
        return [value for value in values if value]

    @property
    def sandbox_enabled(self) -> bool:
        """The sandbox chat runs when asked to, or by default when no messenger is configured."""
        if self.sandbox is not None:
            return self.sandbox
        return not self.has_messenger

    @property
    def has_messenger(self) -> bool:
        """A real messenger is configured (Telegram, Zalo Bot Platform or a Zalo OA)."""
        return bool(self.telegram_bot_token or self.zalo_bot_token or self.zalo_oa_app_id)

    @property
    def webhook_mode(self) -> bool:
        """Webhook when a public URL is configured, long polling otherwise."""
        return bool(self.webhook_base_url)

    @property
    def files_dir(self) -> Path:
        """Where downloaded attachments are kept."""
        return self.data_dir / "files"
