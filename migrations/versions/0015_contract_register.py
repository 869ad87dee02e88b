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
    pass


def downgrade():
    pass
