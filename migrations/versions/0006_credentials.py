"""credentials: API login sessions with an idle clock; API keys' last address, issuer and revoker (issues 11, 15)

Revision ID: 0006_credentials
Revises: 0004_rulebook
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_credentials"
down_revision = "0004_rulebook"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default=sa.text("'web'"), nullable=False))
        batch_op.add_column(sa.Column("seen_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE login_session SET seen_at = created_at")
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.alter_column("seen_at", existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table("ab_api_key") as batch_op:
        batch_op.add_column(sa.Column("last_used_from", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table("ab_api_key") as batch_op:
        batch_op.drop_column("revoked_by")
        batch_op.drop_column("created_by")
        batch_op.drop_column("last_used_from")
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.drop_column("seen_at")
        batch_op.drop_column("kind")
