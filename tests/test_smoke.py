"""The product boots in Chinese, and each role lands on its home page."""


def test_login_page_is_chinese(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "用户名" in html and "密码" in html


# user: (home page kind, the unit shown after the name, the sentence of that home page)
HOMES = {
    "admin": ("office", "", "以下是全部协调事项和各项工作机制的概况。"),
    "office": ("office", "（平陆县企业破产处置府院联动机制办公室）", "以下是全部协调事项和各项工作机制的概况。"),
    "convener": ("convener", "", "以下是全部协调事项和各项工作机制的概况。"),
    "viewer": ("viewer", "", "以下是全部协调事项和各项工作机制的概况。"),
    "tax": ("unit", "（县税务局）", "以下是本单位的协调事项办理情况。"),
    "judge": ("cases", "", "以下是您承办或管理的案件、协调申请及其办理情况。"),
    "trustee": ("cases", "", "以下是您承办或管理的案件、协调申请及其办理情况。"),
}


def test_each_role_reaches_home(clients):
    for username, (kind, unit, sentence) in HOMES.items():
        response = clients.web(username).get("/")
        assert response.status_code == 200, username
        html = response.get_data(as_text=True)
        # the home page of the role, greeting this user (with their unit), not the login page
        assert f'id="home" data-kind="{kind}"' in html, username
        assert f"欢迎，{username}{unit}。" in html and sentence in html, username
        assert 'name="password"' not in html


def test_static_urls_carry_the_digest_of_their_content(sqlite_app):
    """Browsers keep static files a year: a release that changes a script or a style sheet must
    change its URL (ours and FAB's), and the versioned URL serves the file with that lifetime."""
    import hashlib
    import re
    from pathlib import Path

    client = sqlite_app.test_client()
    html = client.get("/login/").get_data(as_text=True)
    ours = re.search(r'href="(/static/css/fyld\.css\?v=([0-9a-f]{12}))"', html)
    fabs = re.search(r'src="(/static/appbuilder/js/ab\.js\?v=([0-9a-f]{12}))"', html)
    assert ours and fabs, "static URLs without a version"
    css = Path(sqlite_app.static_folder, "css", "fyld.css").read_bytes()
    assert ours.group(2) == hashlib.sha256(css).hexdigest()[:12]
    for url in (ours.group(1), fabs.group(1)):
        response = client.get(url)
        assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
