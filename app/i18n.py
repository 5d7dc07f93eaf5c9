"""The project's translations: .po files in git, compiled to .mo when missing or older than the .po.

Flask-Babel reads compiled catalogues only; compiling here (Babel, a dependency of Flask-Babel)
means a fresh clone, `make`, the tests and a server all read the same texts, with no build step to
forget. The output depends only on the .po (Babel writes entries sorted), so it is reproducible.
"""
from __future__ import annotations

import os
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(root: Path = TRANSLATIONS, force: bool = False) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        # a name of this process's own: several workers (gunicorn, pytest-xdist) may compile at once,
        # and a shared temporary name let one rename the other's file away (a crash at start)
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        tmp.replace(mo)  # atomic: a server starting meanwhile never reads half a file
        written.append(mo)
    return written


if __name__ == "__main__":  # `make translations`
    for path in compile_catalogs(force=True):
        print(path)
