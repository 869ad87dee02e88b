"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import datetime as dt

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from grants import create_app
from grants.extensions import db
from grants.models import Base


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_upgrade_recorded_the_head_revision(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401  (the app's migrate config is used below)

    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        config = app.extensions["migrate"].migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
    assert current == head


def _insert(connection, table: sa.Table, **given) -> int:
    """A row with the values given, and a plain value for every other required column."""
    plain = {sa.Integer: 1, sa.BigInteger: 1, sa.Boolean: False, sa.Date: dt.date(2020, 1, 1)}
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        if isinstance(column.type, sa.DateTime):
            row[column.name] = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        else:
            kind = next((k for k in plain if isinstance(column.type, k)), None)
            row[column.name] = plain[kind] if kind else f"{table.name} {column.name}"
    return connection.execute(table.insert().values(**row)).inserted_primary_key[0]


def test_contracts_registered_before_their_years_were_kept_get_them_on_upgrade(tmp_path):
    """Revision 0017 began keeping a contract's value per financial year; a contract already on
    the register gets its years from its term and value a year, as a new contract would."""
    older = create_app(
        overrides={
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
        },
        env={"SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests"},
        instance_path=str(tmp_path),
    )
    with older.app_context():
        upgrade(revision="0016_csp_underspend_threshold")
        metadata = sa.MetaData()
        metadata.reflect(db.engine)
        tables = metadata.tables
        with db.engine.begin() as connection:
            provider = _insert(
                connection, tables["organisations"], name="Victim First",
                org_type="registered_charity",
            )  # fmt: skip
            programme = _insert(
                connection, tables["programmes"], slug="victims", kind="commissioned_service"
            )
            # Let in 2021 at £360,000 a year, from 1 October 2021 to 30 September 2024.
            contract = _insert(
                connection, tables["contracts"], programme_id=programme, provider_id=provider,
                status="active", annual_value_pence=36_000_000, starts_on=dt.date(2021, 10, 1),
                ends_on=dt.date(2024, 9, 30),
            )  # fmt: skip

        upgrade()

        with db.engine.connect() as connection:
            years = connection.execute(
                sa.text(
                    "SELECT financial_year, months, value_pence FROM contract_years"
                    " WHERE contract_id = :id ORDER BY financial_year"
                ),
                {"id": contract},
            ).all()
        db.engine.dispose()
    assert [tuple(year) for year in years] == [
        (2021, 6, 18_000_000),
        (2022, 12, 36_000_000),
        (2023, 12, 36_000_000),
        (2024, 6, 18_000_000),
    ]
