"""The application factory: config, extensions, security, views, CLI, error pages."""
from __future__ import annotations

import logging

from pathlib import Path

from flask import Flask

from config import Config


def build_app(config_overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=Config.INSTANCE_DIR, instance_relative_config=False)
    app.config.from_object(Config)
    if config_overrides:
        app.config.update(config_overrides)
    if app.testing and "CACHE_TYPE" not in (config_overrides or {}):
        # a test sees its own writes at once; values are still read once per request (caching.py)
        app.config.update(CACHE_TYPE="NullCache", CACHE_NO_NULL_WARNING=True, CACHE_OPTIONS=None)
    from app.security.passwords import password_policy

    # Length and a blocklist, no composition rules (OWASP ASVS 2.1): for every password form of FAB.
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_ENABLED", True)
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_policy)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("flask_appbuilder", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from app.pdf.fonts import configure as configure_pdf_fonts

    configure_pdf_fonts(app.config)  # PDF_FONT_TITLE / _HEADING / _KAI / _FALLBACK (docs/pdf.md)
    from app.pdf.words import preload_on_first_request

    preload_on_first_request(app)  # jieba's dictionary for PDF titles, loaded in the background

    from app.i18n import compile_catalogs

    compile_catalogs()  # app/translations/*.po → .mo (FAB's strings FAB's own zh catalogue lacks)
    from flask_appbuilder import AppBuilder

    from app.extensions import cache, csrf, db, migrate

    appbuilder = AppBuilder(update_perms=False)  # one per app: FAB keeps views and menus on it

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    cache.init_app(app)

    with app.app_context():
        from app import models as _models  # noqa: F401  (register every table on FAB metadata)
        from app.services import audit

        audit.install(db.session)
        from app.models import locks

        locks.install()
        from app.security import sessions

        sessions.install()  # credential changes end the user's sessions, on every write path
        from app.extensions import configure_sqlite

        configure_sqlite(db.engine)
        from werkzeug.utils import import_string

        from app.views.security import install_security_views

        # the users, roles and password pages: the web layer's, set on the security manager class
        install_security_views(import_string(app.config["FAB_SECURITY_MANAGER_CLASS"]))
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(appbuilder)

    from app.cli import register_cli
    from app.input_guards import register_input_guards
    from app.web import register_web_hooks

    register_cli(app)
    register_web_hooks(app)
    register_input_guards(app)
    return app
