"""Bid settings: the financial years a bid covers, and whether its funder allows moving money
between years

Revision ID: 0018_bid_settings
Revises: 0017_contract_years
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_bid_settings'
down_revision = '0017_contract_years'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('external_bids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_financial_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_financial_year', sa.Integer(), nullable=True))
        # No bid made so far could move money between years: the rule was always "no".
        batch_op.add_column(sa.Column('allows_transfer_between_years', sa.Boolean(), server_default=sa.false(), nullable=False))
    # A bid made before covers the years its proposals ask for money in.
    op.execute(
        "UPDATE external_bids SET "
        "first_financial_year = (SELECT MIN(py.financial_year) FROM proposal_years py "
        "JOIN bid_proposals bp ON bp.id = py.proposal_id WHERE bp.bid_id = external_bids.id), "
        "last_financial_year = (SELECT MAX(py.financial_year) FROM proposal_years py "
        "JOIN bid_proposals bp ON bp.id = py.proposal_id WHERE bp.bid_id = external_bids.id)"
    )


def downgrade():
    with op.batch_alter_table('external_bids', schema=None) as batch_op:
        batch_op.drop_column('allows_transfer_between_years')
        batch_op.drop_column('last_financial_year')
        batch_op.drop_column('first_financial_year')
