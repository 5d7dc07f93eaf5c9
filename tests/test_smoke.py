"""The product boots in Chinese, and each role lands on its home page."""


def test_login_page_is_chinese(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "用户名" in html and "密码" in html


def test_each_role_reaches_home(clients):
    for username in ("admin", "office", "convener", "viewer", "tax"):
        response = clients.web(username).get("/")
        assert response.status_code == 200, username
        assert "协调事项" in response.get_data(as_text=True)
