"""Attachments: checked on upload (type, size), stored under UPLOAD_FOLDER with generated names,
and read back only after the owner record is found in the reader's scope (other unit's file → 404).

Uploads are checked in full (`check_uploads`) before the workflow step changes anything, and
written (`store_uploads`) only once the step has passed its own checks.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Iterable

from flask import current_app

from app import models as m
from app.models.base import now
from app.security.scope import get_in_scope
from app.services.errors import BusinessError, NotFound

MAX_FILES = 10
CONTENT_TYPES = {
    "pdf": "application/pdf", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "zip": "application/zip",
}
# owner_type -> the model whose scope decides who may read the file
OWNER_MODELS = {"matter_reply": m.MatterAssignment, "policy": m.Policy, "research": m.ResearchProject,
                "clue": m.ClueReport, "request": m.CoordinationRequest, "matter": m.Matter}


@dataclass
class Upload:
    filename: str
    extension: str
    data: bytes


def allowed_extensions() -> tuple[str, ...]:
    return tuple(e.lower() for e in current_app.config.get("ALLOWED_UPLOAD_EXTENSIONS", ()))


def max_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_MB", 20)) * 1024 * 1024


def clean_filename(name: str) -> str:
    """The name shown to users (kept as uploaded, minus any path and control characters)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "附件"


def check_uploads(files: Iterable) -> list[Upload]:
    """Read and check every uploaded file; refuse the whole request on the first bad one."""
    uploads = []
    files = [f for f in files or [] if f is not None and getattr(f, "filename", "")]
    if len(files) > MAX_FILES:
        raise BusinessError(f"一次最多上传{MAX_FILES}个附件", 422)
    limit = max_bytes()
    allowed = allowed_extensions()
    for storage in files:
        filename = clean_filename(storage.filename)
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in allowed:
            raise BusinessError(f"附件“{filename}”的类型不允许；允许的类型：{'、'.join(allowed)}", 422)
        data = storage.stream.read(limit + 1)
        if len(data) > limit:
            raise BusinessError(f"附件“{filename}”超过大小上限{limit // (1024 * 1024)}MB", 413)
        if not data:
            raise BusinessError(f"附件“{filename}”是空文件", 422)
        uploads.append(Upload(filename, extension, data))
    return uploads


def upload_folder() -> str:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


def store_uploads(session, uploads: list[Upload], *, owner_type: str, owner_id: int, unit_id: int | None,
                  user) -> list[m.Attachment]:
    """Write checked uploads under generated names and record them (the caller commits)."""
    folder = upload_folder()
    rows = []
    for upload in uploads:
        stored = f"{uuid.uuid4().hex}.{upload.extension}"
        path = os.path.join(folder, stored)
        with open(path, "xb") as handle:
            handle.write(upload.data)
        row = m.Attachment(owner_type=owner_type, owner_id=owner_id, unit_id=unit_id, filename=upload.filename,
                           stored_name=stored, content_type=CONTENT_TYPES.get(upload.extension),
                           size=len(upload.data), uploaded_at=now(), uploaded_by_id=getattr(user, "id", None))
        session.add(row)
        rows.append(row)
    return rows


def save_upload(session, storage, *, owner_type: str, owner_id: int, user, unit_id: int | None = None) -> m.Attachment:
    """One uploaded file for one record: checked, stored, recorded (the caller commits)."""
    if storage is None or not getattr(storage, "filename", ""):
        raise BusinessError("请选择要上传的文件", 422)
    row = store_uploads(session, check_uploads([storage]), owner_type=owner_type, owner_id=owner_id,
                        unit_id=unit_id, user=user)[0]
    session.flush()
    return row


def copy_attachments(session, source_type: str, source_id: int, target_type: str, target_id: int,
                     user) -> list[m.Attachment]:
    """The source record's files, copied for another record whose readers differ (a request's
    材料 become the attachments of the letters sent to the units)."""
    import shutil

    folder = upload_folder()
    rows = []
    for source in attachments_for(session, source_type, source_id):
        path = os.path.join(folder, source.stored_name)
        if not os.path.isfile(path):
            continue
        stored = f"{uuid.uuid4().hex}.{source.stored_name.rsplit('.', 1)[-1]}"
        shutil.copyfile(path, os.path.join(folder, stored))
        row = m.Attachment(owner_type=target_type, owner_id=target_id, unit_id=None, filename=source.filename,
                           stored_name=stored, content_type=source.content_type, size=source.size, uploaded_at=now(),
                           uploaded_by_id=getattr(user, "id", None))
        session.add(row)
        rows.append(row)
    return rows


def attachments_for(session, owner_type: str, owner_id: int) -> list[m.Attachment]:
    return attachments_of(session, owner_type, [owner_id])[owner_id]


def delete_attachment(session, attachment: m.Attachment) -> None:
    path = os.path.join(upload_folder(), attachment.stored_name)
    session.delete(attachment)
    session.flush()
    if os.path.isfile(path):
        os.remove(path)


def attachments_of(session, owner_type: str, owner_ids: Iterable[int]) -> dict[int, list[m.Attachment]]:
    """owner id -> its attachments, in one query (the caller has already scoped the owners)."""
    ids = list(set(owner_ids))
    result: dict[int, list[m.Attachment]] = {i: [] for i in ids}
    if not ids:
        return result
    for row in (session.query(m.Attachment).filter(m.Attachment.owner_type == owner_type,
                                                   m.Attachment.owner_id.in_(ids)).order_by(m.Attachment.id)):
        result[row.owner_id].append(row)
    return result


def matter_files(session, matter: m.Matter) -> tuple[dict[int, list[m.Attachment]], list[m.Attachment]]:
    """A matter page's files in one query: each part's reply files, and the letter's own (函告附件)."""
    from sqlalchemy import and_, or_

    part_ids = [p.id for p in matter.assignments]
    replies: dict[int, list[m.Attachment]] = {i: [] for i in part_ids}
    letter: list[m.Attachment] = []
    query = session.query(m.Attachment).filter(or_(
        and_(m.Attachment.owner_type == "matter_reply", m.Attachment.owner_id.in_(part_ids or [0])),
        and_(m.Attachment.owner_type == "matter", m.Attachment.owner_id == matter.id))).order_by(m.Attachment.id)
    for row in query:
        (letter if row.owner_type == "matter" else replies[row.owner_id]).append(row)
    return replies, letter


def readable_attachment(session, pk, user=None) -> tuple[m.Attachment, str]:
    """The attachment and its file path, if the owner record is in the user's scope; else NotFound."""
    try:
        attachment = session.get(m.Attachment, int(pk))
    except (TypeError, ValueError):
        raise NotFound()
    if attachment is None or attachment.owner_type not in OWNER_MODELS:
        raise NotFound()
    get_in_scope(session, OWNER_MODELS[attachment.owner_type], attachment.owner_id, user)
    path = os.path.join(upload_folder(), attachment.stored_name)
    if os.path.basename(attachment.stored_name) != attachment.stored_name or not os.path.isfile(path):
        raise NotFound("附件文件不存在")
    return attachment, path


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, size // 1024)} KB"
