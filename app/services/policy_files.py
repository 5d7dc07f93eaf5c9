"""Attachments of policy-library entries (政策文件/典型案例 …) and the library search.

Minimal on purpose: files go to UPLOAD_FOLDER under a generated name (the user's file name is
only metadata), with the configured extension list and size limit; they are read back only
through a route that first checks the owning record is in the reader's scope.
(Another mechanism may bring a general attachments service; this one can then delegate to it.)
"""
from __future__ import annotations

import os
import uuid

from flask import current_app
from sqlalchemy import or_, select

from app import models as m
from app.security.scope import scoped
from app.services.errors import BusinessError, NotFound

OWNER_TYPE = "policy"


def upload_folder() -> str:
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def save_attachment(session, user, owner_type: str, owner_id: int, storage) -> m.Attachment:
    """Store an uploaded werkzeug FileStorage; Chinese refusal for a missing/oversized/odd file."""
    if storage is None or not getattr(storage, "filename", ""):
        raise BusinessError("请选择要上传的文件", 422)
    filename = os.path.basename(storage.filename.replace("\\", "/")).strip()[:255]
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    allowed = current_app.config.get("ALLOWED_UPLOAD_EXTENSIONS", ())
    if ext not in allowed:
        raise BusinessError(f"不支持该文件类型（.{ext or '无扩展名'}），可上传：{'、'.join(allowed)}", 422)
    data = storage.read()
    limit = current_app.config.get("MAX_UPLOAD_MB", 20) * 1024 * 1024
    if not data:
        raise BusinessError("文件为空", 422)
    if len(data) > limit:
        raise BusinessError(f"文件超过{current_app.config.get('MAX_UPLOAD_MB', 20)}MB上限", 413)
    stored = f"{uuid.uuid4().hex}.{ext}"
    with open(os.path.join(upload_folder(), stored), "wb") as fh:
        fh.write(data)
    attachment = m.Attachment(owner_type=owner_type, owner_id=owner_id, filename=filename, stored_name=stored,
                              content_type=storage.mimetype or "application/octet-stream", size=len(data),
                              uploaded_by_id=getattr(user, "id", None))
    session.add(attachment)
    session.flush()
    return attachment


def attachments_of(session, owner_type: str, owner_id: int) -> list[m.Attachment]:
    return session.execute(select(m.Attachment).where(m.Attachment.owner_type == owner_type,
                                                      m.Attachment.owner_id == owner_id)
                           .order_by(m.Attachment.id)).scalars().all()


def policy_attachment(session, attachment_id, user=None) -> tuple[m.Attachment, str]:
    """The attachment and its file path, if its policy is visible to the user (else 404)."""
    from app.security.scope import get_in_scope

    try:
        attachment = session.get(m.Attachment, int(attachment_id))
    except (TypeError, ValueError):
        raise NotFound()
    if attachment is None or attachment.owner_type != OWNER_TYPE:
        raise NotFound()
    get_in_scope(session, m.Policy, attachment.owner_id, user)
    path = os.path.join(upload_folder(), attachment.stored_name)
    if not os.path.isfile(path):
        raise NotFound("附件文件已丢失，请联系管理员")
    return attachment, path


def delete_attachment(session, attachment: m.Attachment) -> None:
    path = os.path.join(upload_folder(), attachment.stored_name)
    session.delete(attachment)
    session.flush()
    if os.path.isfile(path):
        os.remove(path)


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
