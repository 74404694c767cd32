from __future__ import annotations

import pytest
from labsvc.config import ConfigError, Settings, env_float, env_int


def test_defaults_match_the_compose_network() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8000
    assert settings.host == "0.0.0.0"
    assert settings.catalog_url == "http://catalog:8000"
    assert settings.provider_url == "http://payment-provider:8000"
    assert settings.database_url is None and settings.redis_url is None


def test_values_are_parsed_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "SERVICE_NAME": "orders",
            "PORT": "9000",
            "LOG_LEVEL": "debug",
            "DATABASE_URL": "postgresql://lab:lab@postgres:5432/shop",
            "REDIS_URL": "redis://redis:6379/0",
            "DB_POOL_MAX": "4",
            "INVENTORY_URL": "http://inventory:8000/",
        }
    )
    assert (settings.service_name, settings.port, settings.log_level, settings.db_pool_max) == (
        "orders",
        9000,
        "DEBUG",
        4,
    )
    assert settings.inventory_url == "http://inventory:8000"
    assert settings.require_database_url().startswith("postgresql://")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be an integer"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"DB_POOL_MAX": "0"}, "DB_POOL_MAX must be >= 1"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with postgres"),
        ({"CATALOG_URL": "catalog:8000"}, "CATALOG_URL must be an http(s) URL"),
        ({"SHUTDOWN_GRACE_S": "nan"}, "SHUTDOWN_GRACE_S must be between"),
        ({"SERVICE_NAME": "  "}, "SERVICE_NAME must not be empty"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert message in str(info.value)


def test_missing_dependency_url_is_reported() -> None:
    with pytest.raises(ConfigError, match="catalog needs REDIS_URL"):
        Settings.from_env({"SERVICE_NAME": "catalog"}).require_redis_url()


def test_helpers_use_default_for_blank() -> None:
    assert env_int({"X": " "}, "X", 3) == 3
    assert env_float({}, "X", 1.5) == 1.5
