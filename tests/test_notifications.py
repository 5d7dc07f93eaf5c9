"""Notices reach the unit's liaison, are counted in the navigation bar, and are read once opened."""
from app import models as m


def test_unit_notice_counted_read_and_scoped(app, clients, factory, db_session):
    tax = factory.unit("县税务局")
    hr = factory.unit("县人社局")
    factory.add(m.Notification(unit_id=tax.id, message="新函告：平府院函〔2026〕1号", link="/matter/list/"))
    other = factory.add(m.Notification(unit_id=hr.id, message="人社局的通知"))
    web = clients.web("tax")
    page = web.get("/notificationview/list/").get_data(as_text=True)
    assert "新函告：平府院函〔2026〕1号" in page and "人社局的通知" not in page
    assert "未读 1 条" in page
    notice = db_session.query(m.Notification).filter_by(unit_id=tax.id).one()
    assert web.post(f"/notificationview/read/{other.id}").status_code == 404
    response = web.post(f"/notificationview/read/{notice.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/matter/list/")
    db_session.expire_all()
    assert db_session.get(m.Notification, notice.id).read_at is not None
    assert db_session.get(m.Notification, other.id).read_at is None
    assert "未读 0 条" in web.get("/notificationview/list/").get_data(as_text=True)
