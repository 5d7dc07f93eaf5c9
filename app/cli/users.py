"""`flask users add`, `flask roles sync`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.services.errors import BusinessError


@click.group("users", help="用户管理")
def users_group():
    pass


@users_group.command("add", help="新增用户：--username --password --role [--unit 单位全称]")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, help="Admin / Convener / Office / UnitStaff / Viewer")
@click.option("--unit", "unit_name", default=None, help="成员单位全称，如 县税务局")
@click.option("--name", "full_name", default=None, help="姓名（默认同用户名）")
@click.option("--position", default=None, help="职务（不填时按角色，如 联络人）")
@click.option("--email", default=None)
@with_appcontext
def add_user(username, password, role, unit_name, full_name, position, email):
    from app.services.users import create_user

    try:
        user = create_user(username=username, password=password, role=role, unit_name=unit_name,
                           full_name=full_name, email=email, position=position)
    except BusinessError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"已创建用户 {user.username}（{role}{'，' + user.unit.name if user.unit else ''}）")


@click.group("roles", help="角色与权限")
def roles_group():
    pass


@roles_group.command("sync", help="创建权限和五个角色并授予默认权限（幂等；--reset 恢复默认）")
@click.option("--reset", is_flag=True, default=False)
@with_appcontext
def sync(reset):
    from app.security.roles import sync_roles

    granted = sync_roles(current_app.appbuilder, reset=reset)
    click.echo("角色已同步：" + "，".join(f"{k} +{v}" for k, v in granted.items()))
