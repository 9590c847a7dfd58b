"""SQLAlchemy error lines never carry bound parameters (emails, product text, tokens) outside a
local debugging run: engines hide them unless the typed setting says otherwise."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import exc, text

from stoflow.config import Settings, get_settings
from stoflow.db.engine import build_engine

SECRET = "reseller.secret@example.com"
FAILING = text("SELECT 1 / 0 + length(:email)")  # the server's own message does not echo the value


@pytest.fixture
def settings_env(monkeypatch):
    yield monkeypatch
    get_settings.cache_clear()


def failure_message(database_url) -> str:
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection, pytest.raises(exc.DBAPIError) as raised:
            connection.execute(FAILING, {"email": SECRET})
    finally:
        engine.dispose()
    return str(raised.value)


def test_parameters_are_hidden_from_error_messages(database_url, settings_env) -> None:
    settings_env.setenv("STOFLOW_ENVIRONMENT", "prod")
    settings_env.delenv("STOFLOW_DATABASE_LOG_PARAMETERS", raising=False)
    get_settings.cache_clear()
    message = failure_message(database_url)
    assert "division by zero" in message
    assert SECRET not in message
    assert "parameters hidden" in message


def test_a_local_debugging_run_may_show_them(database_url, settings_env) -> None:
    settings_env.setenv("STOFLOW_ENVIRONMENT", "local")
    settings_env.setenv("STOFLOW_DATABASE_LOG_PARAMETERS", "true")
    get_settings.cache_clear()
    assert SECRET in failure_message(database_url)


@pytest.mark.parametrize("environment", ["test", "dev", "prod"])
def test_the_setting_is_refused_outside_local(environment: str) -> None:
    with pytest.raises(ValidationError, match="local debugging aid"):
        Settings(environment=environment, database_log_parameters=True)
