"""`flask items remind` — automatic 催办 for matters near or past the deadline (run daily from cron)."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("items", help="协调事项（督促推进机制）")
def items_group():
    pass


@items_group.command("remind", help="为临期、逾期、严重逾期的协调事项生成催办提醒（同一事项同一单位同一阈值只提醒一次），配置 MAIL_SERVER 时同时发邮件")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="按指定日期计算（默认今天），格式 YYYY-MM-DD")
@click.option("--dry-run", is_flag=True, help="只显示将要提醒的事项，不保存")
@with_appcontext
def remind(on: dt.datetime | None, dry_run: bool):
    from app.extensions import db
    from app.services.matter_mail import reminder_emails, send_reminder_mail
    from app.services.matter_reminders import auto_reminders

    run = auto_reminders(db.session, on.date() if on else None)
    if dry_run:
        db.session.rollback()
        for matter, unit, alert, text in run.created:
            click.echo(f"[将提醒] {unit.name}：{text}")
        click.echo(f"共 {len(run.created)} 条（未保存）")
        return
    mails = reminder_emails(db.session, run)
    db.session.commit()
    for matter, unit, alert, text in run.created:
        click.echo(f"{unit.name}：{text}")
    send_reminder_mail(current_app.config, mails, run)
    click.echo(f"新增催办提醒 {len(run.created)} 条" + (f"，发送邮件 {run.mailed} 封" if current_app.config.get("MAIL_SERVER") else "（未配置 MAIL_SERVER，不发邮件）"))
    for error in run.mail_errors:
        click.echo(f"邮件发送失败：{error}", err=True)
