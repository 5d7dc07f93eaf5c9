"""Creating users from the CLI and from seed code, with the same checks as the user page."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.security.passwords import password_problem
from app.security.permissions import role_requires_unit
from app.security.roles import ROLE_NAMES
from app.services.errors import BusinessError


#: 职务 of a user created without one: the user page requires the field, documents never print it
DEFAULT_POSITIONS = {"Admin": "系统管理员", "Convener": "召集人", "Office": "联动办公室工作人员",
                     "UnitStaff": "联络人", "Viewer": "观察员", "Judge": "承办法官", "Trustee": "破产管理人"}


def create_user(username: str, password: str, role: str, unit_name: str | None = None,
                full_name: str | None = None, email: str | None = None, check_password: bool = True,
                position: str | None = None):
    """A user with the person's name as first_name and the position (职务) as last_name, as on the
    user page — never the role's code name, which the contact line of a reply once printed
    ("王税务 UnitStaff"); without --position the role's Chinese description."""
    from app.models.org import Unit

    sm = current_app.appbuilder.sm
    role_obj = sm.find_role(role)
    if role_obj is None:
        known = [r.name for r in sm.get_all_roles()] or list(ROLE_NAMES)
        raise BusinessError(f"未知角色：{role}；可选：{'、'.join(known)}（角色尚未创建时请先运行 flask seed load）")
    if not username or len(username) > 128:
        raise BusinessError("用户名不能为空且不超过128个字符")
    if sm.find_user(username=username):
        raise BusinessError(f"用户名 {username} 已存在")
    if check_password:
        problem = password_problem(password)
        if problem:
            raise BusinessError(problem)
    unit = None
    if unit_name:
        unit = db.session.query(Unit).filter(Unit.name == unit_name).first()
        if unit is None:
            raise BusinessError(f"未知单位：{unit_name}（请使用成员单位全称，如 县税务局）")
    if role_requires_unit(role_obj) and unit is None:
        raise BusinessError(f"角色 {role} 只能查看本单位的记录，必须用 --unit 指定所属单位")
    # an admin-made role has no default position: its own name reads well enough on a contact line
    position = (position or "").strip() or DEFAULT_POSITIONS.get(role) or role
    user = sm.add_user(username=username, first_name=full_name or username, last_name=position,
                       email=email or f"{username}@users.invalid", role=role_obj, password=password)
    if not user:
        raise BusinessError("创建用户失败（用户名或邮箱可能重复）")
    user.unit_id = unit.id if unit else None
    db.session.commit()
    return user
