"""Configuration, read from the environment.

Every setting has a documented default so that `make run` works on a fresh clone; production
deployments set them through the environment (see README, "配置").
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH") or BASE_DIR / "instance")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def load_secret_key(instance_dir: Path = INSTANCE_PATH) -> str:
    """SECRET_KEY from the environment, else a random key generated once into instance/.

    Never a constant in the repository: each installation gets its own key on first run.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the dialect "postgres"; SQLAlchemy 2 wants "postgresql".
        return url.replace("postgres://", "postgresql://", 1)
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_PATH / 'fyld.db'}"


def cache_redis_url() -> str:
    """The Redis the cache shares between workers: CACHE_REDIS_URL, else REDIS_URL, else none."""
    return os.environ.get("CACHE_REDIS_URL") or os.environ.get("REDIS_URL") or ""


class Config:
    # --- Flask / database -------------------------------------------------------------
    SECRET_KEY = load_secret_key()
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    INSTANCE_DIR = str(INSTANCE_PATH)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_PATH / "uploads"))
    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 20)
    MAX_CONTENT_LENGTH = (MAX_UPLOAD_MB + 1) * 1024 * 1024
    ALLOWED_UPLOAD_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "zip")

    # --- The organisation (defaults; administrators change them on the settings page) ---
    ORG_NAME = os.environ.get("ORG_NAME", "平陆县")
    APP_NAME = os.environ.get("APP_NAME", "企业破产处置府院联动平台")

    # --- PDF ---------------------------------------------------------------------------
    # One TrueType face per role (a path, or "file.ttc#N"); empty: the Fandol faces from `make fonts`
    PDF_FONT = os.environ.get("PDF_FONT") or None  # 仿宋 body
    PDF_FONT_TITLE = os.environ.get("PDF_FONT_TITLE") or None  # 小标宋: titles and red marks
    PDF_FONT_HEADING = os.environ.get("PDF_FONT_HEADING") or None  # 黑体: 一、 headings, table headers
    PDF_FONT_KAI = os.environ.get("PDF_FONT_KAI") or None  # 楷体: （一） headings
    PDF_FONT_FALLBACK = os.environ.get("PDF_FONT_FALLBACK") or None  # rare characters (names)

    # --- Flask-AppBuilder --------------------------------------------------------------
    FAB_CREATE_DB = False  # Alembic owns the schema (FAB-NOTES: Wiring)
    FAB_UPDATE_PERMS = False  # permissions come from `flask seed load` / `flask roles sync`
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.SecurityManager"
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = True
    FAB_ADD_OPENAPI_VIEWS = False  # app/views/openapi.py registers them: the spec built once per process
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_BASE_TEMPLATE = "fyld_base.html"
    FAB_INDEX_VIEW = "app.views.dashboard.HomeIndexView"
    FAB_STATIC_FOLDER = "static/appbuilder"
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_FOLDER = "translations"
    LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}}
    APP_THEME = ""

    # --- Security (README: 安全与运维) ------------------------------------------------------
    WTF_CSRF_ENABLED = True  # every page form; FAB then also refuses GET delete/action routes
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session (idle/absolute limits below)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies over HTTPS: set SESSION_COOKIE_SECURE=1 (and PREFERRED_URL_SCHEME=https)
    # when served through TLS; behind nginx also PROXY_COUNT=1 so the scheme and client address
    # come from X-Forwarded-Proto / X-Forwarded-For.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https" if SESSION_COOKIE_SECURE else "http")
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    # Host names the app answers to (comma-separated, ".example.cn" allows subdomains); any other
    # Host header gets a 400 instead of reaching redirects and absolute URLs. Unset: any host.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)
    # Login throttling (page and API login): failed attempts per client address and window; the
    # counters live in RATELIMIT_STORAGE_URI (redis://host:6379 when several servers share the load).
    AUTH_RATE_LIMITED = _env_bool("AUTH_RATE_LIMITED", True)
    # `seed load` fills the holiday calendar from the State Council schedule shipped by chinese-calendar
    # (years the calendar does not hold yet; an administrator's years are never touched).
    STATE_COUNCIL_HOLIDAYS = _env_bool("STATE_COUNCIL_HOLIDAYS", True)
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "5 per 5 minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 12)
    FAB_SAFE_REDIRECT_HOSTS = [h for h in os.environ.get("SAFE_REDIRECT_HOSTS", "").split(",") if h]
    JWT_ACCESS_TOKEN_EXPIRES = _env_int("JWT_ACCESS_TOKEN_MINUTES", 60) * 60
    # A refresh token lives no longer than a page session (each token is also bound to its login
    # session, checked on every request: see app/security/sessions.py).
    JWT_REFRESH_TOKEN_EXPIRES = SESSION_MAX_HOURS * 3600
    # API keys for integrations (issue 15): `Authorization: Bearer fyld_…`, issued on 系统管理 → API 密钥.
    FAB_API_KEY_ENABLED = True
    FAB_API_KEY_PREFIXES = ["fyld_"]
    FAB_API_SHOW_STACKTRACE = False

    # --- Cache: settings, the holiday calendar, county-wide aggregates (app/services/caching.py) ---
    # Redis when CACHE_REDIS_URL (or REDIS_URL) is set: one copy for all workers and servers, and an
    # administrator's change is seen by every worker at once. Otherwise SimpleCache in each process
    # (another worker sees a change within the value's timeout: 5 s settings, 30 s holidays).
    # Under TESTING the factory uses NullCache unless a test sets CACHE_TYPE itself.
    CACHE_REDIS_URL = cache_redis_url()
    CACHE_TYPE = os.environ.get("CACHE_TYPE") or ("RedisCache" if CACHE_REDIS_URL else "SimpleCache")
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "fyld:")  # one per deployment sharing a Redis
    CACHE_DEFAULT_TIMEOUT = 300
    # a Redis that does not answer costs a request at most this long (then the database is read)
    CACHE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2} if CACHE_TYPE == "RedisCache" else None

    # --- Mail (reminders); off unless MAIL_SERVER is set -------------------------------
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@localhost")

    # --- Serving -------------------------------------------------------------------------
    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = _env_int("PORT", 5000)
    WEB_WORKERS = _env_int("WEB_WORKERS", 4)
    SEND_FILE_MAX_AGE_DEFAULT = 31536000  # each static URL carries its file's digest (app/web.py)
