"""CSP underspend threshold per programme (was one setting for every programme)

Revision ID: 0016_csp_underspend_threshold
Revises: 0015_contract_register
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_csp_underspend_threshold'
down_revision = '0015_contract_register'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing programme starts at the £15,000 the single setting defaulted to.
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('underspend_threshold_pence', sa.BigInteger(), server_default='1500000', nullable=False))


def downgrade():
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('underspend_threshold_pence')
