"""API keys for integrations (issue 15): a court or tax system calls the API without a person's password.

Design: FAB 5.3's own API-key mechanism (`FAB_API_KEY_ENABLED`: `protect()` accepts
`Authorization: Bearer fyld_…` before trying a JWT) on FAB's `ab_api_key` table, with our loader
(`user_of_api_key`) and three columns of our own (last used from, issued by, revoked by) (`ApiCredential`). Each key belongs to a user
account that carries the role and, for a member unit's system, the unit: the admin creates such an
account (e.g. "法院立案系统接口", role Office or a role of their own) and issues it keys. A key is
that account — the request loads the account exactly as a sign-in does, so every permission and
row-level rule applies unchanged, and changing the account's roles or unit changes what its keys
may do at the next request.

Stored: a keyed lookup hash (FAB's, an index look-up) and FAB's slow hash (scrypt unless FAB_API_KEY_HASH_METHOD
or FAB_PASSWORD_HASH_METHOD says otherwise, as for FAB's own keys); the secret is
shown once. Checked on every request against the database (shared by all workers): a revoked or
expired key, or a key of a deactivated account, is refused at once.
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from app.models.org import ApiCredential, AppUser
from app.services.errors import BusinessError

AUDIT_EVERY_SECONDS = 60  # "used" is written at most once a minute per key (and at once from a new address)
_verified: dict[int, str] = {}  # key id -> key_hash whose slow check already passed in this process


class CredentialRefused(HTTPException):
    """A credential the API refuses, with the Chinese message the client sees (app/web.py answers it)."""

    code = 401
    message = "API 密钥无效、已吊销或已过期"

    def __init__(self, message: str | None = None):
        super().__init__(description=message or self.message)
        self.message = message or self.message


class PasswordChangeRequired(CredentialRefused):
    code = 403
    message = "管理员要求该账号修改密码：请先登录网页修改密码，之后再使用访问令牌或 API 密钥。"


class KeyFormError(BusinessError):
    """A refused field of the new-key form: the page shows it beside that field, the CLI prints it."""

    status_code = 422

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def key_prefix() -> str:
    prefixes = current_app.config.get("FAB_API_KEY_PREFIXES") or ["fyld_"]
    return prefixes[0]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _lookup_hash(raw: str) -> str:
    return current_app.appbuilder.sm._compute_lookup_hash(raw)


def _slow_hash(raw: str) -> str:
    """FAB's second hash of a key, with FAB's settings: FAB_API_KEY_HASH_METHOD, else the passwords'."""
    config = current_app.config
    return generate_password_hash(
        raw, method=config.get("FAB_API_KEY_HASH_METHOD", config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")),
        salt_length=config.get("FAB_API_KEY_HASH_SALT_LENGTH", config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16)))


def expiry_from_date(value: str | None) -> dt.datetime | None:
    """A date typed by the admin ("2026-12-31"): the key works through the end of that day."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise KeyFormError("日期格式应为 年-月-日，如 2026-12-31", "expires_on")
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def create_key(db_session, actor, account, name: str, expires_on: dt.datetime | None = None):
    """Issue a key for `account`; returns (record, secret). The secret is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise KeyFormError("请填写密钥名称（如：法院立案系统）", "name")
    if len(name) > 100:
        raise KeyFormError("密钥名称不能超过100个字符", "name")
    if account is None:
        raise KeyFormError("请选择密钥所属的用户账号", "account")
    if not account.active:
        raise KeyFormError("该用户账号已停用，不能为其签发密钥", "account")
    if expires_on is not None and expires_on <= _now():
        raise KeyFormError("有效期须晚于现在", "expires_on")
    raw = key_prefix() + secrets.token_urlsafe(32)
    key = ApiCredential(
        name=name, key_hash=_slow_hash(raw), lookup_hash=_lookup_hash(raw),
        # what the list shows to tell keys apart: the prefix and the first characters of the secret
        key_prefix=raw[:len(key_prefix()) + 8], user_id=account.id, active=True, created_on=_now(),
        expires_on=expires_on, created_by=getattr(actor, "username", None) or "命令行")
    db_session.add(key)
    db_session.flush()
    return key, raw


def revoke_key(db_session, actor, key: ApiCredential) -> ApiCredential:
    if key.revoked_on is not None:
        raise BusinessError("该密钥已经吊销")
    key.revoked_on = _now()
    key.revoked_by = getattr(actor, "username", None) or "命令行"
    db_session.flush()
    return key


def user_of_api_key(db_session, raw: str, address: str | None):
    """The key's account (with roles and groups, as a sign-in loads it) if the key is valid, else None.

    One statement checks the key (not revoked, not expired) and the account (active) and loads it.
    """
    if not raw or len(raw) > 200:
        return None
    now = _now()
    row = (db_session.query(AppUser, ApiCredential.id, ApiCredential.name, ApiCredential.key_hash,
                            ApiCredential.last_used_on, ApiCredential.last_used_from)
           .options(joinedload(AppUser.roles), joinedload(AppUser.groups))
           .join(ApiCredential, ApiCredential.user_id == AppUser.id)
           .filter(ApiCredential.lookup_hash == _lookup_hash(raw), ApiCredential.revoked_on.is_(None),
                   ApiCredential.active.is_(True),
                   or_(ApiCredential.expires_on.is_(None), ApiCredential.expires_on > now),
                   AppUser.active.is_(True))
           .one_or_none())
    if row is None:
        return None
    user, key_id, name, key_hash, last_used_on, last_used_from = row
    if _verified.get(key_id) != key_hash:
        # FAB's second, slow check (~0.1 s): once per key and process, not on every request
        if not check_password_hash(key_hash, raw):
            return None
        if len(_verified) > 1000:
            _verified.clear()
        _verified[key_id] = key_hash
    address = (address or "")[:64] or None
    if (last_used_on is None or (now - last_used_on).total_seconds() >= AUDIT_EVERY_SECONDS
            or last_used_from != address):
        _record_use(key_id, name, user, now, address)
    return user


def _record_use(key_id: int, name: str, user, now: dt.datetime, address: str | None) -> None:
    """Last used at/from and an audit event, in a transaction of their own (the request's session
    keeps the account it just loaded, and a failing request still leaves the trace)."""
    from sqlalchemy.orm import Session

    from app.extensions import db
    from app.services.audit import log_event

    with db.engine.begin() as conn:
        conn.execute(update(ApiCredential.__table__).where(ApiCredential.__table__.c.id == key_id)
                     .values(last_used_on=now, last_used_from=address))
        with Session(bind=conn) as audit_session:
            log_event(audit_session, "api_key_used", f"API 密钥“{name}”调用（账号 {user.username}）",
                      username=user.username, user_id=user.id)
