"""The reminder e-mail of an automatic 催办 run: who gets which lines, and sending them through SMTP
(MAIL_SERVER etc.; off when it is not set)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from app import models as m
from app.services import settings
from app.services.matter_reminders import ReminderRun


def reminder_emails(session, run: ReminderRun) -> dict[str, list[str]]:
    """address -> lines: the unit's own e-mail and its active liaison users' addresses."""
    by_unit: dict[int, list[str]] = {}
    units: dict[int, m.Unit] = {}
    for _matter, unit, _alert, text in run.created:
        by_unit.setdefault(unit.id, []).append(text)
        units[unit.id] = unit
    mails: dict[str, list[str]] = {}
    if not by_unit:
        return mails
    users = session.query(m.AppUser).filter(m.AppUser.unit_id.in_(by_unit), m.AppUser.active.is_(True))
    addresses: dict[int, set[str]] = {uid: ({units[uid].email} if units[uid].email else set()) for uid in by_unit}
    for user in users:
        if user.email and "@" in user.email and not user.email.endswith(".invalid"):  # placeholder addresses
            addresses[user.unit_id].add(user.email)
    for uid, lines in by_unit.items():
        for address in sorted(addresses[uid]):
            mails.setdefault(address, []).extend(lines)
    return mails


def send_reminder_mail(config, mails: dict[str, list[str]], run: ReminderRun) -> None:
    """E-mail through SMTP (MAIL_SERVER etc.); a failure is reported, the reminders stay recorded."""
    if not config.get("MAIL_SERVER") or not mails:
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            for address, lines in mails.items():
                message = EmailMessage()
                message["Subject"] = f"【{settings.get('mechanism_name')}】协调事项催办提醒（{len(lines)}项）"
                message["From"] = config.get("MAIL_FROM") or "noreply@localhost"
                message["To"] = address
                message.set_content("您单位承办的下列协调事项需要尽快办理：\n\n" + "\n".join(
                    f"{i}. {line}" for i, line in enumerate(lines, 1)) + "\n\n请登录平台查看并办理。")
                try:
                    smtp.send_message(message)
                    run.mailed += 1
                except smtplib.SMTPException as exc:
                    run.mail_errors.append(f"{address}: {exc}")
    except (OSError, smtplib.SMTPException) as exc:
        run.mail_errors.append(f"SMTP {config['MAIL_SERVER']}: {exc}")
