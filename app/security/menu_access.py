"""Which permissions make a menu entry visible to a role: recorded as the views add their menu
entries (app/views/__init__.py), read by `roles sync` (app/security/roles.py) to grant menu access
to a role that may open the resource behind an entry."""
from __future__ import annotations

# menu item or category name -> {(resource permission name, permission)}
MENU_RESOURCES: dict[str, set[tuple[str, str]]] = {}


def record_menu_entry(name: str, category: str, resource: str, permission: str) -> None:
    """The entry `name` under `category` is shown to a role holding `permission` on `resource`."""
    MENU_RESOURCES.setdefault(name, set()).add((resource, permission))
    MENU_RESOURCES.setdefault(category, set()).add((resource, permission))
