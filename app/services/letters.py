"""The data of a matter's letters for the PDFs: the 函告 the office sends and a unit's 函复."""
from __future__ import annotations

from app import models as m
from app.models.base import now
from app.pdf.data import Letterhead, LetterData, ReplyData
from app.services import calendar, settings
from app.services.errors import BusinessError


def letterhead():
    office = settings.get("office_name")
    return Letterhead(org_name=settings.get("org_name"), issuer=office)


def letter_data(matter: m.Matter):
    """函告 data from the matter and the settings (office name, contact, numbers)."""
    co = [u.name for u in matter.co_units]
    body = (matter.content or "").strip()
    if co:
        body = (body + "\n" if body else "") + f"本事项由{matter.lead_unit.name}牵头办理，{'、'.join(co)}配合办理。"
    if body and not body.rstrip().endswith(("特此函告。", "特此函告")):
        body += "\n特此函告。"
    when = matter.sent_at.date() if matter.sent_at else calendar.today()
    return LetterData(head=letterhead(), number=matter.letter_number or "", title=matter.title,
                      recipient=matter.lead_unit.name, cc_units=co, body=body or "特此函告。",
                      deadline=matter.deadline, contact_name=matter.contact_name or settings.get("contact_name"),
                      contact_phone=matter.contact_phone or settings.get("contact_phone"), date=when)


def reply_data(session, matter: m.Matter, part: m.MatterAssignment):
    """函复 data of one unit's reply (the lead's by default)."""
    if part.status != "replied" or not part.reply_content:
        raise BusinessError(f"{part.unit.name}尚未函复该事项", 409)
    replier = session.get(m.AppUser, part.replied_by_id) if part.replied_by_id else None
    unit = part.unit
    # first_name holds the person's name; last_name is the position (职务), not part of a contact line
    contact = unit.liaison_name or ((replier.first_name or "").strip() if replier else "")
    phone = unit.liaison_phone or (getattr(replier, "phone", None) or "")
    core = matter.title.strip()
    core = core[2:] if core.startswith("关于") else core
    core = core[:-2] if core.endswith("的函") else core
    title = f"关于{core}的复函"  # 关于协助申报税收债权的函 → 关于协助申报税收债权的复函
    body = part.reply_content
    if not body.rstrip().endswith(("特此函复。", "特此函复")):
        body += "\n特此函复。"
    return ReplyData(head=letterhead(), unit_name=unit.document_name, number=part.reply_number or "", title=title,
                     recipient=settings.get("office_name"), original_title=matter.title,
                     original_number=matter.letter_number or "", body=body, result=part.reply_result or "",
                     contact_name=contact or "", contact_phone=phone or "",
                     date=(part.replied_at or now()).date())
