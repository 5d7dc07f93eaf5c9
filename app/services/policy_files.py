"""Attachments of policy-library entries (政策文件/典型案例 …) and the library search.

Files are stored and checked by app/services/attachments.py like every other attachment.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from app import models as m
from app.security.scope import scoped
from app.services import attachments
from app.services.errors import NotFound

OWNER_TYPE = "policy"


def save_attachment(session, user, owner_type: str, owner_id: int, storage) -> m.Attachment:
    return attachments.save_upload(session, storage, owner_type=owner_type, owner_id=owner_id, user=user)


def attachments_of(session, owner_type: str, owner_id: int) -> list[m.Attachment]:
    return attachments.attachments_for(session, owner_type, owner_id)


def policy_attachment(session, attachment_id, user=None) -> tuple[m.Attachment, str]:
    """The attachment and its file path, if it belongs to a policy the user may see (else 404)."""
    attachment, path = attachments.readable_attachment(session, attachment_id, user)
    if attachment.owner_type != OWNER_TYPE:
        raise NotFound()
    return attachment, path


delete_attachment = attachments.delete_attachment


def search_policies(session, user, q: str = "", kind: str = "", limit: int = 200) -> list[m.Policy]:
    """Library search: every word must appear in the title, summary, content, number or issuer."""
    stmt = select(m.Policy)
    if kind:
        stmt = stmt.where(m.Policy.kind == kind)
    for word in (q or "").split()[:8]:
        like = f"%{word[:50]}%"
        stmt = stmt.where(or_(m.Policy.title.ilike(like), m.Policy.summary.ilike(like), m.Policy.content.ilike(like),
                              m.Policy.doc_number.ilike(like), m.Policy.issuer.ilike(like)))
    stmt = scoped(stmt, m.Policy, user).order_by(m.Policy.publish_date.desc().nulls_last(), m.Policy.id.desc())
    return session.execute(stmt.limit(limit)).scalars().all()


def attachment_counts(session, policy_ids: list[int]) -> dict[int, int]:
    from sqlalchemy import func

    if not policy_ids:
        return {}
    rows = session.execute(select(m.Attachment.owner_id, func.count(m.Attachment.id))
                           .where(m.Attachment.owner_type == OWNER_TYPE, m.Attachment.owner_id.in_(policy_ids))
                           .group_by(m.Attachment.owner_id))
    return dict(rows.all())
