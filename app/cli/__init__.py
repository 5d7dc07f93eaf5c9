"""Command-line interface: `flask --app run seed load|demo`, `users add`, `roles sync`, …"""
from __future__ import annotations


def register_cli(app) -> None:
    from app.cli import apikeys, seed, users

    app.cli.add_command(apikeys.apikeys_group)
    app.cli.add_command(seed.seed_group)
    app.cli.add_command(users.users_group)
    app.cli.add_command(users.roles_group)
    try:
        from app.cli import items

        app.cli.add_command(items.items_group)
    except ImportError:  # pragma: no cover - added by the supervision mechanism
        pass
    try:
        from app.cli import backup

        app.cli.add_command(backup.backup_group)
    except ImportError:  # pragma: no cover
        pass
