"""Extension singletons, bound to the app in create_app (FAB 5 factory pattern)."""
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_caching import Cache
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = get_sqla_class()()
migrate = Migrate()
csrf = CSRFProtect()
cache = Cache()  # settings, holiday calendar, county-wide aggregates (app/services/caching.py)


def configure_sqlite(engine) -> None:
    """SQLite as an embedded production database: WAL (readers never block the writer), a busy
    timeout instead of "database is locked" errors under concurrent writers, and enforced foreign keys."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
