"""CSP allocations, their method inputs and underspend decisions

Revision ID: 0013_csp_allocations
Revises: 0012_round_form_items
Create Date: 2026-11-23 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_csp_allocations'
down_revision = '0012_round_form_items'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('csp_allocation_bases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('flat', 'formula', name='csp_allocation_method', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('flat_amount_pence', sa.BigInteger(), nullable=True),
    sa.Column('pot_pence', sa.BigInteger(), nullable=True),
    sa.Column('population_weight', sa.Integer(), nullable=True),
    sa.Column('crime_weight', sa.Integer(), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_csp_allocation_bases_programme_id_programmes')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_csp_allocation_bases_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csp_allocation_bases')),
    sa.UniqueConstraint('programme_id', 'financial_year', name=op.f('uq_csp_allocation_bases_programme_id'))
    )
    with op.batch_alter_table('csp_allocation_bases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csp_allocation_bases_programme_id'), ['programme_id'], unique=False)

    op.create_table('csp_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'confirmed', name='csp_allocation_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('flat', 'formula', name='csp_allocation_row_method', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('amount_pence', sa.BigInteger(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('recorded_crime', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_csp_allocations_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_csp_allocations_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_csp_allocations_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csp_allocations')),
    sa.UniqueConstraint('programme_id', 'organisation_id', 'financial_year', name=op.f('uq_csp_allocations_programme_id'))
    )
    with op.batch_alter_table('csp_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csp_allocations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_csp_allocations_programme_id'), ['programme_id'], unique=False)

    op.create_table('csp_forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('rest_of_year_pence', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_csp_forecasts_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['return_id'], ['monitoring_returns.id'], name=op.f('fk_csp_forecasts_return_id_monitoring_returns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csp_forecasts')),
    sa.UniqueConstraint('return_id', name=op.f('uq_csp_forecasts_return_id'))
    )
    op.create_table('csp_underspends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('flagged', 'decided', name='underspend_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('funded_pence', sa.BigInteger(), nullable=False),
    sa.Column('spent_to_date_pence', sa.BigInteger(), nullable=False),
    sa.Column('forecast_rest_pence', sa.BigInteger(), nullable=False),
    sa.Column('forecast_unspent_pence', sa.BigInteger(), nullable=False),
    sa.Column('threshold_pence', sa.BigInteger(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decision_pence', sa.BigInteger(), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_csp_underspends_award_id_awards')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_csp_underspends_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_csp_underspends_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_csp_underspends_programme_id_programmes')),
    sa.ForeignKeyConstraint(['return_id'], ['monitoring_returns.id'], name=op.f('fk_csp_underspends_return_id_monitoring_returns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csp_underspends'))
    )
    with op.batch_alter_table('csp_underspends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csp_underspends_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_csp_underspends_programme_id'), ['programme_id'], unique=False)



def downgrade():
    with op.batch_alter_table('csp_underspends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csp_underspends_programme_id'))
        batch_op.drop_index(batch_op.f('ix_csp_underspends_organisation_id'))

    op.drop_table('csp_underspends')
    op.drop_table('csp_forecasts')
    with op.batch_alter_table('csp_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csp_allocations_programme_id'))
        batch_op.drop_index(batch_op.f('ix_csp_allocations_organisation_id'))

    op.drop_table('csp_allocations')
    with op.batch_alter_table('csp_allocation_bases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csp_allocation_bases_programme_id'))

    op.drop_table('csp_allocation_bases')
