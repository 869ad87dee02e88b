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
    pass


def downgrade():
    pass
