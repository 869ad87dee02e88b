"""Configuration comes from the environment; production fails fast on anything missing."""

import pytest

from grants import create_app
from grants.config import REQUIRED_IN_PRODUCTION, ConfigurationError, load_config

PRODUCTION = {
    "GRANTS_ENV": "production",
    "SECRET_KEY": "x" * 64,
    "DATABASE_URL": "postgresql+psycopg://grants:pw@db.internal:5432/grants",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "S3_ENDPOINT_URL": "https://s3.internal",
    "S3_BUCKET": "documents",
    "S3_ACCESS_KEY_ID": "key",
    "S3_SECRET_ACCESS_KEY": "secret",
    "MAIL_SERVER": "smtp.internal",
    "SERVER_NAME": "grants.example.org",
}


def test_embedded_default_needs_no_settings(tmp_path):
    config = load_config(str(tmp_path), env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'grants.sqlite'}"
    assert config["MAIL_BACKEND"] == "file"
    assert config["REDIS_URL"] is None
    assert len(config["SECRET_KEY"]) >= 32
    # The generated key is kept, so sessions survive a restart of the demo.
    assert load_config(str(tmp_path), env={})["SECRET_KEY"] == config["SECRET_KEY"]


def test_production_with_everything_set_is_strict_about_cookies(tmp_path):
    config = load_config(str(tmp_path), env=PRODUCTION)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["MAIL_BACKEND"] == "smtp"
    assert config["SHOW_DEMO_OUTBOX"] is False
    assert config["SQLALCHEMY_DATABASE_URI"] == PRODUCTION["DATABASE_URL"]


@pytest.mark.parametrize("missing", sorted(REQUIRED_IN_PRODUCTION))
def test_production_names_each_missing_setting(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigurationError) as error:
        load_config(str(tmp_path), env=env)
    assert missing in str(error.value)


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be at least 32"):
        load_config(str(tmp_path), env={**PRODUCTION, "SECRET_KEY": "short"})


def test_malformed_number_is_named(tmp_path):
    with pytest.raises(ConfigurationError, match="MAIL_PORT must be a whole number"):
        load_config(str(tmp_path), env={"MAIL_PORT": "twenty-five"})


def test_create_app_fails_fast_in_production_without_settings(tmp_path):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app(env={"GRANTS_ENV": "production"}, instance_path=str(tmp_path))


def test_importing_the_package_creates_no_app():
    import sys

    from flask import Flask

    import grants.web  # noqa: F401  (imports every blueprint module)

    for name, module in list(sys.modules.items()):
        if name == "grants" or name.startswith("grants."):
            assert not any(isinstance(value, Flask) for value in vars(module).values()), name


def test_contract_review_window_is_a_setting(tmp_path):
    assert load_config(str(tmp_path), env={})["CONTRACT_REVIEW_MONTHS"] == 9
    assert (
        load_config(str(tmp_path), env={"CONTRACT_REVIEW_MONTHS": "6"})["CONTRACT_REVIEW_MONTHS"]
        == 6
    )
    with pytest.raises(ConfigurationError, match="CONTRACT_REVIEW_MONTHS"):
        load_config(str(tmp_path), env={"CONTRACT_REVIEW_MONTHS": "nine"})
