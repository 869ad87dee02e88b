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
    pass


def downgrade():
    pass
