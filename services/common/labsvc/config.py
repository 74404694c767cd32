"""Settings read from the environment, validated once at startup.

Every service reads the same `Settings`; service-specific knobs are read with
the same `env_*` helpers into a small dataclass next to the service, so a bad
value always fails the same way: `ConfigError` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """An environment variable is missing or malformed; the message names it."""


def env_str(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default).strip()
    if not value:
        raise ConfigError(f"{name} must not be empty")
    return value


def env_optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ConfigError(f"{name} must be {bounds}, got {value}")
    return value


def env_float(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float = 0.0,
    maximum: float | None = None,
) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value != value or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ConfigError(f"{name} must be {bounds}, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    service_name: str
    # 0.0.0.0 in containers; 127.0.0.1 when running the fleet on a host.
    host: str
    port: int
    log_level: str
    # None means the service does not use that dependency (and /readyz skips it).
    database_url: str | None
    redis_url: str | None
    db_pool_max: int
    redis_pool_max: int
    shutdown_grace_s: float
    catalog_url: str
    orders_url: str
    inventory_url: str
    payments_url: str
    provider_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        log_level = env_str(env, "LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        for name in ("DATABASE_URL", "REDIS_URL"):
            url = env_optional(env, name)
            scheme = "postgres" if name == "DATABASE_URL" else "redis"
            if url is not None and not url.startswith(scheme):
                raise ConfigError(f"{name} must start with {scheme}..., got {url!r}")
        return cls(
            service_name=env_str(env, "SERVICE_NAME", "service"),
            host=env_str(env, "HOST", "0.0.0.0"),
            port=env_int(env, "PORT", 8000, minimum=1, maximum=65535),
            log_level=log_level,
            database_url=env_optional(env, "DATABASE_URL"),
            redis_url=env_optional(env, "REDIS_URL"),
            db_pool_max=env_int(env, "DB_POOL_MAX", 10, minimum=1),
            redis_pool_max=env_int(env, "REDIS_POOL_MAX", 20, minimum=1),
            shutdown_grace_s=env_float(env, "SHUTDOWN_GRACE_S", 5.0, maximum=60.0),
            catalog_url=_url(env, "CATALOG_URL", "http://catalog:8000"),
            orders_url=_url(env, "ORDERS_URL", "http://orders:8000"),
            inventory_url=_url(env, "INVENTORY_URL", "http://inventory:8000"),
            payments_url=_url(env, "PAYMENTS_URL", "http://payments:8000"),
            provider_url=_url(env, "PROVIDER_URL", "http://payment-provider:8000"),
        )

    def require_database_url(self) -> str:
        if self.database_url is None:
            raise ConfigError(f"{self.service_name} needs DATABASE_URL")
        return self.database_url

    def require_redis_url(self) -> str:
        if self.redis_url is None:
            raise ConfigError(f"{self.service_name} needs REDIS_URL")
        return self.redis_url


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    url = env_str(env, name, default).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {url!r}")
    return url
