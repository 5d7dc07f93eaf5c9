"""Every page of every role, rendered on demo data: no English a user can see, outside the data
(issue 13, 5: "List Groups", "Edit Setting", "__None", "Are you sure …", filter operators, None/True,
English permission names, audit rows showing object addresses …).

Pages are found as a user finds them: the menu of each role, then from each list its first record's
detail and edit pages and its add page. What counts as visible: every text node (hidden ones too:
FAB's search filters and dialogs are in the page, shown on click), placeholders, titles, button
values and the options of every select box.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.conftest import USERS

ROLES = ["admin", "office", "convener", "viewer", "tax"]
# Words that are Chinese usage, not untranslated English
ALLOWED = {"PDF", "Excel", "JSON", "IP", "OpenAPI", "API", "JWT", "GB", "ID", "MB", "KB", "OK", "doc", "docx", "xls",
           "xlsx", "jpg", "jpeg", "png", "zip", "pdf", "YYYY", "MM", "DD", "HH", "SS", "Word", "cron", "HTTP", "CSV",
           "UnitStaff", "Admin", "Office", "Convener", "Viewer", "Public", "T",
           # keys of the risk scheme's JSON, which the administrator types (described on its form)
           "version", "name", "levels", "factors", "number", "bool", "choice", "floor_level"}
WORD = re.compile(r"[A-Za-z0-9_']+")
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
SKIP_PREFIXES = ("/static", "/appbuilder", "/api/", "/logout", "/lang/", "/swagger", "/login")
# documents and downloads, not pages
SKIP_PATTERNS = re.compile(r"/(pdf|letter|reply_letter|xlsx|file|attachment|followup_pdf|template|export)(/|$)|\.(pdf|xlsx)$|/ledger/(pdf|xlsx)")


def visible_texts(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    # not text: scripts, styles; data: what the user typed into a text area, raw records shown as such
    for bad in tree.xpath("//script|//style|//noscript|//textarea|//*[contains(@class,'raw-data')]"):
        bad.drop_tree()
    texts = [t for t in tree.xpath("//body//text()")]
    for attribute in ("placeholder", "title", "alt", "aria-label", "data-confirm", "data-text", "data-placeholder"):
        texts += tree.xpath(f"//@{attribute}")
    texts += tree.xpath("//input[@type='submit' or @type='button']/@value")
    texts += [tree.xpath("//title/text()")[0]] if tree.xpath("//title/text()") else []
    return [t for t in texts if t and t.strip()]


def english_in(html: str, data_words: set[str]) -> list[str]:
    found = []
    for text in visible_texts(html):
        for word in WORD.findall(EMAIL.sub(" ", text)):
            if not re.search("[A-Za-z]", word) or re.search("[0-9]", word):
                continue  # numbers, document and credit codes (91140829FUMA6UAG7K) are data
            if word in ALLOWED or word in data_words or word.lower() in data_words:
                continue
            found.append(f"{word!s} ← {text.strip()[:80]!r}")
    return found


def links(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    out = []
    for href in tree.xpath("//a/@href"):
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
            continue
        if SKIP_PATTERNS.search(parts.path):
            continue
        out.append(href.split("#")[0])
    return out


def menu_links(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    return [h for h in tree.xpath("//*[contains(@class,'navbar')]//a/@href") if h.startswith("/") and not h.startswith(SKIP_PREFIXES)]


def pages_of(client, start="/"):
    """The menu's pages, then from each list page the first record's show/edit pages and the add page."""
    home = client.get(start)
    assert home.status_code == 200
    todo = [start] + menu_links(home.get_data(as_text=True)) + ["/users/userinfo/", "/resetmypassword/form"]
    seen, pages = set(), {}
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        if "/list/" in url or url.rstrip("/").endswith(("/inbox", "/supervise", "/calendar", "/library", "/ledger")):
            picked = {}
            for href in links(html):
                path = urlsplit(href).path
                kind = re.search(r"/(show|edit|add|matrix|followup|signin|compose|schedule)(/|$)", path)
                if kind and kind.group(1) not in picked:
                    picked[kind.group(1)] = href
            todo += list(picked.values())
    return pages


@pytest.fixture(scope="module")
def demo_app(backend_apps):
    from app.extensions import db
    from app.services.demo import generate_demo
    from tests.conftest import clean_business_data

    app = backend_apps("sqlite")
    with app.app_context():
        generate_demo(12, 13)
        db.session.commit()
    yield app
    clean_business_data(app)


@pytest.mark.parametrize("username", ROLES)
def test_no_english_on_any_page(demo_app, username):
    from tests.conftest import RoleClients

    client = RoleClients(demo_app).web(username)
    data_words = {u.lower() for u in USERS} | {username}
    pages = pages_of(client)
    assert len(pages) >= (25 if username in ("admin", "office") else 10), sorted(pages)
    problems = {url: english_in(html, data_words) for url, html in pages.items()}
    problems = {url: words[:8] for url, words in problems.items() if words}
    assert not problems, "\n".join(f"{url}: {words}" for url, words in sorted(problems.items()))


def test_api_labels_are_chinese(app, clients):
    """The API's _info and record labels: no "Entries Comment", no "Version Id"."""
    api = clients.api("office")
    for resource in ("evaluation", "item", "meeting", "minutes", "decision", "case", "bulletin"):
        body = api.get(f"/api/v1/{resource}/_info").json
        labels = {**body.get("add_columns_labels", {}), **body.get("edit_columns_labels", {})} if "add_columns_labels" in body else {}
        for field in body.get("add_columns", []) + body.get("edit_columns", []):
            labels[field["name"]] = field.get("label", "")
        assert labels, resource
        english = {k: v for k, v in labels.items() if re.search(r"[A-Za-z]{2,}", str(v))}
        assert not english, (resource, english)
    listed = api.get("/api/v1/item/?q=(page_size:1)").json  # dotted columns: lead_unit.id …
    shown_labels = listed.get("label_columns", {})
    assert shown_labels.get("lead_unit.id") == "牵头单位·编号"
    assert not {k: v for k, v in shown_labels.items() if re.search(r"[A-Za-z]{2,}", str(v))}, shown_labels
