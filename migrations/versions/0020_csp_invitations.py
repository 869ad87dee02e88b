"""CSP plan round invitations: only an invited partnership may start a plan

Revision ID: 0020_csp_invitations
Revises: 0019_payment_cancelled
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_csp_invitations'
down_revision = '0019_payment_cancelled'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'csp_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_csp_invitations_invited_by_id_users')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_csp_invitations_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_csp_invitations_round_id_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_csp_invitations')),
        sa.UniqueConstraint('round_id', 'organisation_id', name=op.f('uq_csp_invitations_round_id')),
    )
    with op.batch_alter_table('csp_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csp_invitations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_csp_invitations_round_id'), ['round_id'], unique=False)


def downgrade():
    with op.batch_alter_table('csp_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csp_invitations_round_id'))
        batch_op.drop_index(batch_op.f('ix_csp_invitations_organisation_id'))
    op.drop_table('csp_invitations')
