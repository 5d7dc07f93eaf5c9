"""`flask apikeys create|list|revoke`: the API-key page's work from a shell (same service functions)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.services.errors import BusinessError


@click.group("apikeys", help="集成系统的 API 密钥（签发、列出、吊销）")
def apikeys_group():
    pass


@apikeys_group.command("create", help="签发密钥：--user 账号 --name 名称 [--expires 年-月-日]；密钥只显示这一次")
@click.option("--user", "username", required=True, help="密钥所属的用户账号（其角色和单位即密钥的权限和范围）")
@click.option("--name", required=True, help="名称，如：法院立案系统")
@click.option("--expires", default=None, help="有效期至（含当日），不填则长期有效")
@with_appcontext
def create(username, name, expires):
    from app.extensions import db
    from app.models.org import AppUser
    from app.security.api_keys import create_key, expiry_from_date

    account = db.session.query(AppUser).filter_by(username=username).one_or_none()
    try:
        if account is None:
            raise BusinessError(f"用户 {username} 不存在")
        key, secret = create_key(db.session, None, account, name, expiry_from_date(expires))
        db.session.commit()
    except BusinessError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    click.echo(f"已为 {account.username} 签发 API 密钥“{key.name}”（编号 {key.id}）。请立即保存，它不会再次显示：")
    click.echo(secret)


@apikeys_group.command("list", help="列出密钥（默认只列有效的；--all 含已吊销、已过期）")
@click.option("--all", "show_all", is_flag=True, default=False)
@with_appcontext
def list_keys(show_all):
    from app.extensions import db
    from app.models.org import ApiCredential

    keys = db.session.query(ApiCredential).order_by(ApiCredential.id).all()
    shown = [k for k in keys if show_all or k.status_label == "有效"]
    if not shown:
        click.echo("（没有密钥）")
    for k in shown:
        used = f"{k.last_used_on:%Y-%m-%d %H:%M} 自 {k.last_used_from or '?'}" if k.last_used_on else "从未使用"
        click.echo(f"{k.id}\t{k.key_prefix}…\t{k.status_label}\t{k.account.username}\t{k.name}\t最近使用：{used}")


@apikeys_group.command("revoke", help="吊销密钥：编号或密钥前缀；立即生效")
@click.argument("key")
@with_appcontext
def revoke(key):
    from app.extensions import db
    from app.models.org import ApiCredential
    from app.security.api_keys import revoke_key

    query = db.session.query(ApiCredential)
    found = (query.filter(ApiCredential.id == int(key)).all() if key.isdigit() and len(key) < 10
             else query.filter(ApiCredential.key_prefix == key.rstrip("…").strip()).all())
    if len(found) != 1:
        raise click.ClickException("找不到该密钥（请用 flask apikeys list 查看编号）" if not found else "前缀对应多个密钥，请用编号")
    try:
        revoke_key(db.session, None, found[0])
        db.session.commit()
    except BusinessError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    click.echo(f"已吊销 API 密钥“{found[0].name}”（{found[0].key_prefix}…），立即生效。")
