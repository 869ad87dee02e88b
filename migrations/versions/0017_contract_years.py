"""Contract years: a contract's value per financial year, by its months of service in each

Revision ID: 0017_contract_years
Revises: 0016_csp_underspend_threshold
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_contract_years'
down_revision = '0016_csp_underspend_threshold'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('value_pence', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_years_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_years')),
    sa.UniqueConstraint('contract_id', 'financial_year', name=op.f('uq_contract_years_contract_id'))
    )
    with op.batch_alter_table('contract_years', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_years_contract_id'), ['contract_id'], unique=False)
    _give_registered_contracts_their_years()


def _give_registered_contracts_their_years():
    """Contracts registered before this revision get their years as a contract registered now
    would: the months of their current term at their value a year, so their total value (the
    sum of their years) is not left at nothing."""
    from workflows.contract import years_at_value_a_year

    contracts = sa.table(
        'contracts',
        sa.column('id', sa.Integer()),
        sa.column('annual_value_pence', sa.BigInteger()),
        sa.column('starts_on', sa.Date()),
        sa.column('ends_on', sa.Date()),
    )
    years = sa.table(
        'contract_years',
        sa.column('contract_id', sa.Integer()),
        sa.column('financial_year', sa.Integer()),
        sa.column('months', sa.Integer()),
        sa.column('value_pence', sa.BigInteger()),
    )
    rows = [
        {
            'contract_id': contract.id,
            'financial_year': year.financial_year,
            'months': year.months,
            'value_pence': year.value_pence,
        }
        for contract in op.get_bind().execute(sa.select(contracts).order_by(contracts.c.id))
        for year in years_at_value_a_year(
            contract.annual_value_pence, contract.starts_on, contract.ends_on
        )
    ]
    if rows:
        op.bulk_insert(years, rows)


def downgrade():
    with op.batch_alter_table('contract_years', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_years_contract_id'))

    op.drop_table('contract_years')
