"""units' full names for documents (issue 12: the reply letter's red mark reads 国家税务总局平陆县税务局)

Revision ID: 0005_unit_full_name
Revises: 0006_credentials
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_unit_full_name"
down_revision = "0006_credentials"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("unit") as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("unit") as batch_op:
        batch_op.drop_column("full_name")
