"""Safer Streets proposals, interventions, partner awards and roll-up returns

Revision ID: 0014_bid_delivery
Revises: 0013_csp_allocations
Create Date: 2026-11-23 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_bid_delivery'
down_revision = '0013_csp_allocations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bid_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['external_bids.id'], name=op.f('fk_bid_proposals_bid_id_external_bids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_proposals'))
    )
    with op.batch_alter_table('bid_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_proposals_bid_id'), ['bid_id'], unique=False)
    op.create_table('funder_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'reviewed', 'signed_off', 'submitted', name='funder_return_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('risks', sa.Text(), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('funder_reference', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['external_bids.id'], name=op.f('fk_funder_returns_bid_id_external_bids')),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['users.id'], name=op.f('fk_funder_returns_drafted_by_id_users')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_funder_returns_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_funder_returns_signed_off_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funder_returns')),
    sa.UniqueConstraint('bid_id', 'period_start', name=op.f('uq_funder_returns_bid_id'))
    )
    with op.batch_alter_table('funder_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funder_returns_bid_id'), ['bid_id'], unique=False)
    op.create_table('funder_variations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('previous_cap_pence', sa.BigInteger(), nullable=False),
    sa.Column('new_cap_pence', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'approved', 'rejected', name='funder_variation_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['external_bids.id'], name=op.f('fk_funder_variations_bid_id_external_bids')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_funder_variations_decided_by_id_users')),
    sa.ForeignKeyConstraint(['proposal_id'], ['bid_proposals.id'], name=op.f('fk_funder_variations_proposal_id_bid_proposals')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_funder_variations_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funder_variations'))
    )
    with op.batch_alter_table('funder_variations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funder_variations_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_funder_variations_proposal_id'), ['proposal_id'], unique=False)
    op.create_table('interventions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('match_funding_pence', sa.BigInteger(), nullable=False),
    sa.Column('match_funding_source', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['organisations.id'], name=op.f('fk_interventions_partner_id_organisations')),
    sa.ForeignKeyConstraint(['proposal_id'], ['bid_proposals.id'], name=op.f('fk_interventions_proposal_id_bid_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interventions'))
    )
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interventions_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interventions_proposal_id'), ['proposal_id'], unique=False)
    op.create_table('proposal_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('requested_pence', sa.BigInteger(), nullable=False),
    sa.Column('awarded_pence', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['bid_proposals.id'], name=op.f('fk_proposal_years_proposal_id_bid_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_years')),
    sa.UniqueConstraint('proposal_id', 'financial_year', name=op.f('uq_proposal_years_proposal_id'))
    )
    with op.batch_alter_table('proposal_years', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_years_proposal_id'), ['proposal_id'], unique=False)
    op.create_table('funder_return_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('funder_return_id', sa.Integer(), nullable=False),
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('profile_pence', sa.BigInteger(), nullable=False),
    sa.Column('spent_pence', sa.BigInteger(), nullable=False),
    sa.Column('claimed_pence', sa.BigInteger(), nullable=False),
    sa.Column('partner_narrative', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['funder_return_id'], ['funder_returns.id'], name=op.f('fk_funder_return_lines_funder_return_id_funder_returns')),
    sa.ForeignKeyConstraint(['intervention_id'], ['interventions.id'], name=op.f('fk_funder_return_lines_intervention_id_interventions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funder_return_lines')),
    sa.UniqueConstraint('funder_return_id', 'intervention_id', name=op.f('uq_funder_return_lines_funder_return_id'))
    )
    with op.batch_alter_table('funder_return_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funder_return_lines_funder_return_id'), ['funder_return_id'], unique=False)
    op.create_table('intervention_outputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['intervention_id'], ['interventions.id'], name=op.f('fk_intervention_outputs_intervention_id_interventions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intervention_outputs'))
    )
    with op.batch_alter_table('intervention_outputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_outputs_intervention_id'), ['intervention_id'], unique=False)
    op.create_table('intervention_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('budget_pence', sa.BigInteger(), nullable=False),
    sa.Column('first_quarter', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['intervention_id'], ['interventions.id'], name=op.f('fk_intervention_years_intervention_id_interventions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intervention_years')),
    sa.UniqueConstraint('intervention_id', 'financial_year', name=op.f('uq_intervention_years_intervention_id'))
    )
    with op.batch_alter_table('intervention_years', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_years_intervention_id'), ['intervention_id'], unique=False)
    op.create_table('funder_return_outputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('funder_return_id', sa.Integer(), nullable=False),
    sa.Column('intervention_output_id', sa.Integer(), nullable=False),
    sa.Column('achieved', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['funder_return_id'], ['funder_returns.id'], name=op.f('fk_funder_return_outputs_funder_return_id_funder_returns')),
    sa.ForeignKeyConstraint(['intervention_output_id'], ['intervention_outputs.id'], name=op.f('fk_funder_return_outputs_intervention_output_id_intervention_outputs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funder_return_outputs')),
    sa.UniqueConstraint('funder_return_id', 'intervention_output_id', name=op.f('uq_funder_return_outputs_funder_return_id'))
    )
    with op.batch_alter_table('funder_return_outputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funder_return_outputs_funder_return_id'), ['funder_return_id'], unique=False)
    op.create_table('partner_output_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('intervention_output_id', sa.Integer(), nullable=False),
    sa.Column('achieved', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['intervention_output_id'], ['intervention_outputs.id'], name=op.f('fk_partner_output_reports_intervention_output_id_intervention_outputs')),
    sa.ForeignKeyConstraint(['return_id'], ['monitoring_returns.id'], name=op.f('fk_partner_output_reports_return_id_monitoring_returns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_output_reports')),
    sa.UniqueConstraint('return_id', 'intervention_output_id', name=op.f('uq_partner_output_reports_return_id'))
    )
    with op.batch_alter_table('partner_output_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_output_reports_return_id'), ['return_id'], unique=False)
    op.create_table('partner_reductions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('funder_variation_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('variation_id', sa.Integer(), nullable=True),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('current_pence', sa.BigInteger(), nullable=False),
    sa.Column('reduction_pence', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_partner_reductions_award_id_awards')),
    sa.ForeignKeyConstraint(['funder_variation_id'], ['funder_variations.id'], name=op.f('fk_partner_reductions_funder_variation_id_funder_variations')),
    sa.ForeignKeyConstraint(['variation_id'], ['variations.id'], name=op.f('fk_partner_reductions_variation_id_variations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_reductions'))
    )
    with op.batch_alter_table('partner_reductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_reductions_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_reductions_funder_variation_id'), ['funder_variation_id'], unique=False)
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intervention_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_awards_intervention_id'), ['intervention_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_awards_intervention_id_interventions'), 'interventions', ['intervention_id'], ['id'])



def downgrade():
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_awards_intervention_id_interventions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_awards_intervention_id'))
        batch_op.drop_column('intervention_id')
    with op.batch_alter_table('partner_reductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_reductions_funder_variation_id'))
        batch_op.drop_index(batch_op.f('ix_partner_reductions_award_id'))
    op.drop_table('partner_reductions')
    with op.batch_alter_table('partner_output_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_output_reports_return_id'))
    op.drop_table('partner_output_reports')
    with op.batch_alter_table('funder_return_outputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funder_return_outputs_funder_return_id'))
    op.drop_table('funder_return_outputs')
    with op.batch_alter_table('intervention_years', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_years_intervention_id'))
    op.drop_table('intervention_years')
    with op.batch_alter_table('intervention_outputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_outputs_intervention_id'))
    op.drop_table('intervention_outputs')
    with op.batch_alter_table('funder_return_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funder_return_lines_funder_return_id'))
    op.drop_table('funder_return_lines')
    with op.batch_alter_table('proposal_years', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_years_proposal_id'))
    op.drop_table('proposal_years')
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interventions_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_interventions_partner_id'))
    op.drop_table('interventions')
    with op.batch_alter_table('funder_variations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funder_variations_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_funder_variations_bid_id'))
    op.drop_table('funder_variations')
    with op.batch_alter_table('funder_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funder_returns_bid_id'))
    op.drop_table('funder_returns')
    with op.batch_alter_table('bid_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_proposals_bid_id'))
    op.drop_table('bid_proposals')

