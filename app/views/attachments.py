"""The one route that serves attachments: it resolves the owner record through the row-level scope
(app.security.scope) first, so another unit's file answers 404 like its record does."""
from __future__ import annotations

from urllib.parse import quote

from flask import abort, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.extensions import db
from app.services.attachments import readable_attachment
from app.services.errors import NotFound


def send_attachment(attachment, path):
    response = send_file(path, mimetype=attachment.content_type or "application/octet-stream",
                         as_attachment=True, download_name=attachment.filename, max_age=0)
    # RFC 5987 name for Chinese file names; the ASCII fallback keeps old clients working.
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"attachment.{attachment.stored_name.rsplit('.', 1)[-1]}\"; "
        f"filename*=UTF-8''{quote(attachment.filename)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


class AttachmentView(BaseView):
    route_base = "/attachment"
    class_permission_name = "Attachment"
    default_view = "download"

    @expose("/<int:pk>")
    @has_access
    def download(self, pk):
        try:
            attachment, path = readable_attachment(db.session, pk)
        except NotFound:
            abort(404)
        return send_attachment(attachment, path)


def register(appbuilder):
    appbuilder.add_view_no_menu(AttachmentView)
