"""GB/T 9704-2012 PDF documents of the 府院联动 panel: plain data in, PDF bytes out.

    from app.pdf import build_minutes, MinutesData, Letterhead
    pdf_bytes = build_minutes(MinutesData(...), pdf_font=app.config.get("PDF_FONT"))
"""
from .data import (BulletinData, BulletinSection, DecisionLine, EvaluationData, FollowupData,
                   LedgerData, LetterData, Letterhead, MinutesData, PersonLine, ReplyData, TableData)
from .documents import (build_bulletin, build_evaluation, build_followup, build_ledger, build_letter,
                        build_minutes, build_reply_letter)
from .fonts import FontSet, register_fonts

__all__ = [
    "Letterhead", "LetterData", "ReplyData", "PersonLine", "DecisionLine", "MinutesData",
    "BulletinSection", "TableData", "BulletinData", "EvaluationData", "FollowupData", "LedgerData",
    "build_letter", "build_reply_letter", "build_minutes", "build_bulletin", "build_evaluation",
    "build_followup", "build_ledger", "register_fonts", "FontSet",
]
