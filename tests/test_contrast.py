"""Every status colour meets WCAG AA (4.5:1), computed from the stylesheet itself (issue 13, 3:
long-overdue rows were white on pink, ~1.5:1, on the matter list, the 督办台 and the inbox)."""
from __future__ import annotations

from pathlib import Path

import tinycss2

CSS = Path(__file__).resolve().parent.parent / "app" / "static" / "css" / "fyld.css"
AA = 4.5


def _hex(value: str) -> str:
    value = value.strip().lstrip("#").lower()
    return "".join(c * 2 for c in value) if len(value) == 3 else value


def luminance(colour: str) -> float:
    rgb = [int(_hex(colour)[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules() -> dict[str, dict[str, str]]:
    """selector → {property: value} for every rule of fyld.css (a selector list gives each selector)."""
    out: dict[str, dict[str, str]] = {}
    for rule in tinycss2.parse_stylesheet(CSS.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.content is not None:
            continue  # media queries hold layout only
        if rule.type != "qualified-rule":
            continue
        selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
        declarations = {d.lower_name: tinycss2.serialize(d.value).strip()
                        for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)
                        if d.type == "declaration"}
        for selector in selectors:
            out.setdefault(selector, {}).update(declarations)
    return out


def colour(declarations: dict, *names: str) -> str | None:
    for name in names:
        value = declarations.get(name)
        if value and value.startswith("#"):
            return value
    return None


def test_contrast_formula():
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#ffffff", "#f5c6c6"), 2) == 1.52  # the old escalated row


def test_every_rule_with_text_and_background_meets_aa():
    checked = []
    for selector, declarations in rules().items():
        fg, bg = colour(declarations, "color"), colour(declarations, "background-color", "background")
        if fg and bg:
            ratio = contrast(fg, bg)
            assert ratio >= AA, f"{selector}: {fg} on {bg} is {ratio:.2f}:1"
            checked.append(selector)
    for needed in (".label-alert-near", ".label-alert-overdue", ".label-alert-escalated", ".btn-warning",
                   ".btn-success", ".btn-danger", ".label-warning", "tr.alert-escalated > td"):
        assert needed in checked, needed


def test_text_and_links_on_the_alert_rows_meet_aa():
    css = rules()
    for alert in ("near", "overdue", "escalated"):
        row = css[f"tr.alert-{alert} > td"]
        bg = colour(row, "background-color")
        texts = {"text": colour(row, "color"), "link": colour(css[f"tr.alert-{alert} > td a"], "color"),
                 "muted": colour(css[f"tr.alert-{alert} > td .text-muted"], "color")}
        for what, fg in texts.items():
            assert fg, f"{alert} rows: no {what} colour"
            assert contrast(fg, bg) >= AA, f"{alert} rows: {what} {fg} on {bg} is {contrast(fg, bg):.2f}:1"


def test_muted_and_danger_text_on_white_meet_aa():
    css = rules()
    for selector in (".text-muted", ".text-danger", ".count-bad"):
        assert contrast(colour(css[selector], "color"), "#ffffff") >= AA, selector


def test_no_template_sets_its_own_status_colours():
    """The colours live in one place; a template with its own would escape this check."""
    import re

    templates = Path(__file__).resolve().parent.parent / "app" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(background|color)\s*:\s*#(?!eee\b|ddd\b|fff\b|ffffff\b)", text), path
