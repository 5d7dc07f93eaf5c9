"""Fonts of the documents: the Fandol conversion (fontTools, once, cached by key), the per-role
settings an office uses to name licensed faces, and the fallbacks when faces are missing."""
from __future__ import annotations

import io
import os

import pdfplumber
import pytest

from app.pdf import build_letter, fontbuild, register_fonts, samples
from app.pdf import fonts as fontmod

BRAILLE = "FandolBraille-Regular.otf"      # a 12 KB CFF face of the same package: converts in milliseconds


def braille_source() -> str:
    for d in fontbuild.FANDOL_DIRS:
        path = os.path.join(d, BRAILLE)
        if os.path.isfile(path):
            return path
    if os.environ.get("CI"):
        pytest.fail("texlive-lang-chinese missing: .ci/run installs it")
    pytest.skip("texlive-lang-chinese not installed")


def test_conversion_gives_truetype_with_the_same_glyphs_and_widths(tmp_path):
    from fontTools.ttLib import TTFont as FTFont
    from reportlab.pdfbase.ttfonts import TTFont

    source = braille_source()
    target = str(tmp_path / "braille.ttf")
    fontbuild.convert(source, target)
    before, after = FTFont(source), FTFont(target)
    assert "CFF " in before and "CFF " not in after and "glyf" in after
    assert after.getBestCmap() == before.getBestCmap()
    assert after["hmtx"].metrics == before["hmtx"].metrics
    drawn = [g for g in after.getGlyphOrder() if after["glyf"][g].numberOfContours]
    assert len(drawn) > 50                                    # outlines, not empty boxes
    TTFont("braille-test", target)                            # reportlab accepts it


def test_build_converts_once_and_again_only_when_the_key_changes(tmp_path, monkeypatch):
    braille_source()
    monkeypatch.setattr(fontbuild, "FANDOL_FACES", {"body": BRAILLE})
    cache = str(tmp_path)
    assert fontbuild.build_all(cache, jobs=1) == 1
    first = fontbuild.cached_path(fontbuild.fandol_source("body"), cache)
    stamp = os.stat(first).st_mtime_ns
    assert fontbuild.build_all(cache, jobs=1) == 0             # cached: nothing redone
    assert os.stat(first).st_mtime_ns == stamp
    monkeypatch.setattr(fontbuild, "_fonttools_version", lambda: "99.0")
    second = fontbuild.cached_path(fontbuild.fandol_source("body"), cache)
    assert second != first
    assert fontbuild.build_all(cache, jobs=1) == 1             # another fontTools: converted again,
    assert os.listdir(cache) == [os.path.basename(second)]     # the stale file pruned


def test_build_without_fandol_says_so_and_succeeds(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fontbuild, "FANDOL_DIRS", [str(tmp_path / "nowhere")])
    assert fontbuild.main(["--cache", str(tmp_path / "cache")]) == 0
    assert "texlive-lang-chinese" in capsys.readouterr().out


@pytest.fixture
def configured():
    """configure() for a test, restored afterwards."""
    saved = dict(fontmod._configured)
    yield fontmod.configure
    fontmod._configured.clear()
    fontmod._configured.update(saved)
    fontmod.clear_font_cache()


@pytest.mark.skipif(not (os.path.exists(fontmod.UKAI) and os.path.exists(fontmod.ZENHEI)), reason="AR PL / WQY fonts missing")
def test_each_role_takes_the_configured_face(configured):
    configured({"PDF_FONT_TITLE": fontmod.UKAI, "PDF_FONT_HEADING": fontmod.ZENHEI + "#0"})
    fs = register_fonts()
    assert "UKai" in fontmod.face_name(fs.title)
    assert "WenQuanYi" in fontmod.face_name(fs.heading)
    with pdfplumber.open(io.BytesIO(build_letter(samples.letter()))) as pdf:
        mark = [c for c in pdf.pages[0].chars if c["top"] < 40 * 72 / 25.4]
    assert mark and all("UKai" in c["fontname"] for c in mark)          # the red mark in the title face


def test_missing_fandol_falls_back_to_debian_faces(monkeypatch, tmp_path):
    monkeypatch.setenv("PDF_FONT_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(fontmod, "_configured", {})
    for key in fontmod.SETTINGS.values():
        monkeypatch.delenv(key, raising=False)
    fs = register_fonts()
    if not os.path.exists(fontmod.UMING):
        pytest.skip("AR PL UMing missing")
    assert "UMing" in fontmod.face_name(fs.body) and fs.title == fs.body and fs.truetype
    with pdfplumber.open(io.BytesIO(build_letter(samples.letter()))) as pdf:
        text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
        names = {c["fontname"].split("+")[-1] for p in pdf.pages for c in p.chars}
    assert samples.letter().title in text and all("UMing" in n or "WenQuanYi" in n or "UKai" in n for n in names)
