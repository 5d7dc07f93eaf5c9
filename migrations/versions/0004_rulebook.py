"""the rulebook (issue 11): one pending extension request per matter, held by the database

Revision ID: 0004_rulebook
Revises: 0003_login_sessions
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_rulebook"
down_revision = "0003_login_sessions"
branch_labels = None
depends_on = None


def upgrade():
    # Parallel requests could save several pending requests for one matter before this index: keep
    # the earliest, and record the others as refused, so the index can be created on any database.
    op.execute(sa.text(
        "UPDATE extension_request SET status = 'refused', "
        "decision_note = '系统：同一事项的重复延期申请（同一时间只能有一项待审批）' "
        "WHERE status = 'pending' AND id NOT IN ("
        "SELECT min_id FROM (SELECT MIN(id) AS min_id FROM extension_request "
        "WHERE status = 'pending' GROUP BY matter_id) AS keep)"))
    op.create_index("uq_extension_pending", "extension_request", ["matter_id"], unique=True,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_index("uq_extension_pending", table_name="extension_request")
