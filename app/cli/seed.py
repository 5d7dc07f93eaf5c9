"""`flask seed load` (reference data, idempotent) and `flask seed demo --cases N`."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("seed", help="基础数据与演示数据")
def seed_group():
    pass


@seed_group.command("load", help="载入19家成员单位、职责、事项类别、系统设置、评估方案和角色（可重复运行）")
@with_appcontext
def load():
    from app.services.seeding import load_reference_data

    counts = load_reference_data(current_app.appbuilder)
    click.echo("基础数据已载入：" + "，".join(f"{k} {v}" for k, v in counts.items()))
    from app.extensions import db
    from app.services.holidays import coverage_warning

    if warning := coverage_warning(db.session):
        click.echo("提示：" + warning)


@seed_group.command("demo", help="生成演示数据：--cases N（每案约10项协调事项）")
@click.option("--cases", "case_count", type=click.IntRange(1, 1_000_000), default=50, show_default=True)
@click.option("--seed", "random_seed", type=int, default=2026, show_default=True)
@click.option("--users-password", default=None,
              help="演示用承办法官、破产管理人账号（demo_judge1…、demo_trustee1…）的口令；不给则随机，由管理员重设")
@with_appcontext
def demo(case_count, random_seed, users_password):
    from app.services.demo import generate_demo

    started = time.monotonic()
    counts = generate_demo(case_count, random_seed, users_password=users_password)
    click.echo("演示数据已生成：" + "，".join(f"{k} {v}" for k, v in counts.items())
               + f"（用时 {time.monotonic() - started:.1f} 秒）")
