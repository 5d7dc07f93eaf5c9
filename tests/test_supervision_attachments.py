"""Reply attachments: allowed types and size only, generated names, and downloads only through the
route that checks the owner's scope (another unit's file → 404). A refused upload changes nothing."""
from __future__ import annotations

import io
import os
import re

from app import models as m
from app.extensions import db
from tests.supervision_support import frozen, load, part, sent_matter  # noqa: F401


def signed_matter(app, clients, **kw) -> int:
    pk = sent_matter(app, clients, **kw)
    assert clients.api("tax").post(f"/api/v1/item/{pk}/sign").status_code == 200
    return pk


def reply_with(clients, pk, *files, user="tax"):
    data = {"content": "办理情况见附件。", "result": "已办结", "files": list(files)}
    return clients.api(user).post(f"/api/v1/item/{pk}/reply", data=data, content_type="multipart/form-data")


def attachment_count(app) -> int:
    with app.app_context():
        return db.session.query(m.Attachment).count()


def test_reply_with_files_and_scoped_download(app, clients, frozen):
    pk = signed_matter(app, clients)
    response = reply_with(clients, pk, (io.BytesIO(b"%PDF-1.4 report"), "办理报告.pdf"),
                          (io.BytesIO(b"\x89PNG\r\n"), "现场照片.PNG"))
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        rows = db.session.query(m.Attachment).order_by(m.Attachment.id).all()
        assert [(r.filename, r.owner_type, r.size) for r in rows] == [("办理报告.pdf", "matter_reply", 15),
                                                                      ("现场照片.PNG", "matter_reply", 6)]
        stored = [r.stored_name for r in rows]
        ids = [r.id for r in rows]
        folder = app.config["UPLOAD_FOLDER"]
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(pdf|png)", name) for name in stored)
    assert all(os.path.isfile(os.path.join(folder, name)) for name in stored)

    own = clients.web("tax").get(f"/attachment/{ids[0]}")
    assert own.status_code == 200 and own.data == b"%PDF-1.4 report"
    assert "filename*=UTF-8''" in own.headers["Content-Disposition"]
    assert clients.web("office").get(f"/attachment/{ids[1]}").status_code == 200
    assert clients.web("viewer").get(f"/attachment/{ids[1]}").status_code == 200
    # another unit: 404 for the file as for the record; an unknown id is 404 too
    assert clients.web("hr").get(f"/attachment/{ids[0]}").status_code == 404
    assert clients.web("hr").get("/attachment/999999").status_code == 404
    anonymous = app.test_client().get(f"/attachment/{ids[0]}")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]  # to the login page, no file


def test_wrong_type_is_refused_and_nothing_changes(app, clients, frozen):
    pk = signed_matter(app, clients)
    for name in ("setup.exe", "no_extension", "report.pdf.js", "page.html"):
        response = reply_with(clients, pk, (io.BytesIO(b"data"), name))
        assert response.status_code == 422, name
        assert "类型不允许" in response.get_json()["message"]
    assert part(load(app, pk), "县税务局").status == "signed" and attachment_count(app) == 0
    empty = reply_with(clients, pk, (io.BytesIO(b""), "空.pdf"))
    assert empty.status_code == 422 and "空文件" in empty.get_json()["message"]


def test_too_big_is_refused_and_nothing_changes(app, clients, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    pk = signed_matter(app, clients)
    folder = app.config["UPLOAD_FOLDER"]
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    big = reply_with(clients, pk, (io.BytesIO(b"%PDF" + b"0" * (1024 * 1024 + 10)), "大文件.pdf"))
    assert big.status_code == 413 and "超过大小上限1MB" in big.get_json()["message"]
    assert part(load(app, pk), "县税务局").status == "signed" and attachment_count(app) == 0
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == before
    # through the page: the unit sees the message, nothing is saved
    page = clients.web("tax").post(f"/matter/reply/{pk}", content_type="multipart/form-data", follow_redirects=True,
                                   data={"content": "见附件", "files": (io.BytesIO(b"0" * (1024 * 1024 + 1)), "a.zip")})
    assert "超过大小上限" in page.get_data(as_text=True) and load(app, pk).status == "signed"

