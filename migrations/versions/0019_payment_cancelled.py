"""Payments can be cancelled: an instalment lowered to nothing when its award is reduced

Revision ID: 0019_payment_cancelled
Revises: 0018_bid_settings
Create Date: 2026-12-06 20:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_payment_cancelled'
down_revision = '0018_bid_settings'
branch_labels = None
depends_on = None

BEFORE = ('scheduled', 'claimed', 'approved', 'paid', 'rejected')
AFTER = BEFORE + ('cancelled',)


def _allow(states):
    # The status CHECK lists the states by name; SQLite can only change it by copying the table
    # (batch mode), PostgreSQL drops and adds the constraint.
    listed = ", ".join(f"'{state}'" for state in states)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payments_payment_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payments_payment_status'), f"status IN ({listed})")


def upgrade():
    _allow(AFTER)


def downgrade():
    # A cancelled instalment held nothing of its award, as a rejected claim does.
    op.execute("UPDATE payments SET status = 'rejected' WHERE status = 'cancelled'")
    _allow(BEFORE)
