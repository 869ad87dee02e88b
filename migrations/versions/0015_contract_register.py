"""Contract register: partners, KPIs and KPI returns, options appraisals, procurement bids and evaluation, mobilisation

Revision ID: 0015_contract_register
Revises: 0014_bid_delivery
Create Date: 2026-11-23 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_contract_register'
down_revision = '0014_bid_delivery'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_kpis_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_kpis'))
    )
    with op.batch_alter_table('contract_kpis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_kpis_contract_id'), ['contract_id'], unique=False)
    op.create_table('contract_partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contribution_pence', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_partners_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_partners'))
    )
    with op.batch_alter_table('contract_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_partners_contract_id'), ['contract_id'], unique=False)
    op.create_table('kpi_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'open', 'submitted', 'accepted', 'returned', name='kpi_return_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Enum('good', 'approaching_target', 'requires_improvement', 'inadequate', name='kpi_rating', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('reviewer_comments', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_kpi_returns_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_returns'))
    )
    with op.batch_alter_table('kpi_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_returns_contract_id'), ['contract_id'], unique=False)
    op.create_table('mobilisation_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_mobilisation_items_contract_id_contracts')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_mobilisation_items_done_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mobilisation_items'))
    )
    with op.batch_alter_table('mobilisation_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mobilisation_items_contract_id'), ['contract_id'], unique=False)
    op.create_table('options_appraisals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('options_considered', sa.Text(), nullable=False),
    sa.Column('costs', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_options_appraisals_contract_id_contracts')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_options_appraisals_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_options_appraisals'))
    )
    with op.batch_alter_table('options_appraisals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_options_appraisals_contract_id'), ['contract_id'], unique=False)
    op.create_table('kpi_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_return_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['contract_kpis.id'], name=op.f('fk_kpi_values_kpi_id_contract_kpis')),
    sa.ForeignKeyConstraint(['kpi_return_id'], ['kpi_returns.id'], name=op.f('fk_kpi_values_kpi_return_id_kpi_returns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_values')),
    sa.UniqueConstraint('kpi_return_id', 'kpi_id', name=op.f('uq_kpi_values_kpi_return_id'))
    )
    with op.batch_alter_table('kpi_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_values_kpi_id'), ['kpi_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_values_kpi_return_id'), ['kpi_return_id'], unique=False)
    op.create_table('tender_bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procurement_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('price_pence', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('quality_score', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bidder_id'], ['organisations.id'], name=op.f('fk_tender_bids_bidder_id_organisations')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_tender_bids_document_id_documents')),
    sa.ForeignKeyConstraint(['procurement_id'], ['procurements.id'], name=op.f('fk_tender_bids_procurement_id_procurements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_bids'))
    )
    with op.batch_alter_table('tender_bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_bids_procurement_id'), ['procurement_id'], unique=False)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service', sa.String(length=200), nullable=True))
    with op.batch_alter_table('procurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('specification_document_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closes_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('quality_weight', sa.Integer(), nullable=False, server_default='70'))
        batch_op.add_column(sa.Column('price_weight', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('let_contract_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_procurements_specification_document_id_documents'), 'documents', ['specification_document_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_procurements_let_contract_id_contracts'), 'contracts', ['let_contract_id'], ['id'])


def downgrade():
    with op.batch_alter_table('procurements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_procurements_let_contract_id_contracts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_procurements_specification_document_id_documents'), type_='foreignkey')
        for column in ('let_contract_id', 'price_weight', 'quality_weight', 'closes_on', 'published_on', 'specification_document_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_column('service')
    op.drop_table('tender_bids')
    op.drop_table('kpi_values')
    op.drop_table('options_appraisals')
    op.drop_table('mobilisation_items')
    op.drop_table('kpi_returns')
    op.drop_table('contract_partners')
    op.drop_table('contract_kpis')
