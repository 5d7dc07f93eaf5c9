"""Fictional sample data in the shapes of /work/shared/samples (for previews, tests and the bench)."""
from __future__ import annotations

from datetime import date

from .data import (BulletinData, BulletinSection, DecisionLine, EvaluationData, FollowupData,
                   LedgerData, LetterData, Letterhead, MinutesData, ReplyData, TableData)

HEAD = Letterhead()

UNITS = ["县人民法院", "县人民检察院", "县发改局", "县工科局", "县公安局", "县司法局", "县财政局", "县人社局",
         "县自然资源局", "县住建局", "县招商投资促进中心", "县应急局", "县市场监管局", "县行政审批服务管理局",
         "县信访局", "县民政局", "县工商联", "县税务局"]


def letter(**kw) -> LetterData:
    d = dict(
        head=HEAD, number="平府院函〔2026〕15号",
        title="关于协助办理山西某某煤业有限公司税收债权申报事宜的函",
        recipient="县税务局", cc_units=["县人民法院", "县财政局"],
        body=("根据平府院联纪〔2026〕2号会议纪要议定事项，山西某某煤业有限公司破产重整案（（2026）晋0829破3号）"
              "需你局依法申报税收债权。现将有关事项函告如下：\n"
              "一、请于2026年4月15日前向破产管理人依法申报税收债权，并提供债权计算依据。\n"
              "二、请对重整后企业的纳税信用修复提出指导意见。\n"
              "特此函告。"),
        deadline=date(2026, 4, 15), contact_name="王某某", contact_phone="0359-3521234", date=date(2026, 3, 20))
    d.update(kw)
    return LetterData(**d)


def reply(**kw) -> ReplyData:
    d = dict(
        head=HEAD, unit_name="国家税务总局平陆县税务局", number="平税函〔2026〕8号",
        title="关于山西某某煤业有限公司税收债权申报情况的复函",
        recipient="平陆县企业破产处置府院联动机制办公室",
        original_title="关于协助办理山西某某煤业有限公司税收债权申报事宜的函",
        original_number="平府院函〔2026〕15号",
        body=("经核查，现将办理情况函复如下：\n"
              "一、我局已于2026年4月10日向破产管理人申报税收债权共计人民币1,234,567.89元，其中欠缴税款1,100,000.00元，"
              "滞纳金134,567.89元，计算依据已一并提交。\n"
              "二、重整计划执行完毕后，企业可按规定申请纳税信用修复，我局将予以指导。\n"
              "特此函复。"),
        result="已办结", contact_name="李某某", contact_phone="0359-3529876", date=date(2026, 4, 11))
    d.update(kw)
    return ReplyData(**d)


MINUTES_OPENING = ("2026年3月16日，副县长张某某主持召开平陆县企业破产处置府院联动第二次联席会议，县法院院长李某某出席会议。"
                   "会议听取了县法院关于2025年度企业破产审判工作情况和山西某某煤业有限公司破产重整案件进展情况的汇报，"
                   "研究了案件处置中的职工安置、税收债权申报、采矿权处置等问题。现纪要如下：")


def decisions() -> list[DecisionLine]:
    return [
        DecisionLine(1, "完成该公司职工劳动关系处理方案，妥善做好社会保险关系转移接续", "县人社局", ["县民政局"], date(2026, 4, 30)),
        DecisionLine(2, "依法完成税收债权申报，并对重整后企业纳税信用修复给予指导", "县税务局", [], date(2026, 4, 15)),
        DecisionLine(3, "研究提出采矿权处置和生态修复意见，对兼并重组方案给予相应时间宽限", "县自然资源局", ["县应急局"], date(2026, 5, 31)),
        DecisionLine(4, "将重整投资人招募纳入全县招商引资项目库并发布招募公告", "县招商投资促进中心", [], None),
    ]


def minutes(extra_paragraphs: int = 0, **kw) -> MinutesData:
    body = [MINUTES_OPENING, "一、会议认为",
            "（一）府院联动机制运行一年来，成员单位协同配合，全县审结破产案件5件，盘活土地126亩，安置职工312人。",
            "（二）某某煤业公司重整涉及职工多、债权人多、采矿权处置复杂，须各成员单位按照职责分工合力推进。"]
    for i in range(extra_paragraphs):
        body.append(f"（{_cn(i + 3)}）第{i + 3}项工作情况：成员单位围绕破产案件受理、财产处置、职工安置、信用修复等环节，"
                    "细化工作措施，明确责任分工，及时协调解决案件审理中遇到的突出问题，确保各项工作有序推进。")
    d = dict(
        head=HEAD, kind="joint", number="平府院联纪〔2026〕2号", issue_label="第2期",
        title="关于推进山西某某煤业有限公司破产重整工作的会议纪要", date=date(2026, 3, 18),
        body="\n".join(body), decisions=decisions(),
        present=["张某某（副县长）  李某某（县法院院长）", "、".join(UNITS) + "分管负责同志"],
        on_leave=["运城市生态环境局平陆分局赵某某（因公出差）"],
        nonvoting=["山西某某律师事务所（破产管理人）孙某某"],
        main_recipients="府院联动机制各成员单位", cc_recipients="县委办公室，县人大常委会办公室，县政协办公室")
    d.update(kw)
    return MinutesData(**d)


def _cn(n: int) -> str:
    from .gbt9704 import cn_number
    return cn_number(n)


def stats_table() -> TableData:
    rows = [[u, str(3 + i % 4), str(2 + i % 3), str(i % 2), f"{4.5 + i % 5:.1f}"] for i, u in enumerate(UNITS)]
    return TableData(headers=["单位", "交办数", "按期办结数", "逾期数", "平均办理天数"], rows=rows,
                     title="各成员单位协调事项办理情况统计表")


def bulletin(**kw) -> BulletinData:
    d = dict(
        head=HEAD, number="平府院通〔2026〕4号", issue_label="2026年第1期（总第4期）",
        title="关于2026年第一季度企业破产处置府院联动工作情况的通报", date=date(2026, 4, 8), recipients="各成员单位",
        sections=[
            BulletinSection("总体情况", "本季度新收破产申请2件，受理1件，审结1件；重大敏感案件台账在册3件。联席会议召开1次，议定事项4项。"),
            BulletinSection("重大案件进展", "（一）山西某某煤业有限公司破产重整案：已召开第一次债权人会议，职工安置方案正在制定。\n"
                                         "（二）平陆县某某食品有限公司破产清算案：财产变价方案已经债权人会议表决通过。"),
            BulletinSection("协调事项办理情况", "本季度函告协调事项12项，按期函复9项，延期办理2项，逾期未复1项（县某某局，逾期6个工作日，已催办2次）。"),
            BulletinSection("下一步工作", "各成员单位要进一步压实责任，按期办理函告事项，确保议定事项落地见效。"),
        ],
        tables=[stats_table()])
    d.update(kw)
    return BulletinData(**d)


def evaluation(**kw) -> EvaluationData:
    rows = [[u, str(95 - i), ["优秀", "良好", "合格"][min(2, i // 6)], "按期办结" if i % 3 else "全部按期办结，主动对接"]
            for i, u in enumerate(UNITS)]
    d = dict(
        head=HEAD, number="平府院通〔2027〕1号", year=2026, title="关于2026年度府院联动成员单位考评结果的通报",
        date=date(2027, 1, 20), intro="根据《平陆县企业破产处置府院联动机制成员单位考评办法》，现将2026年度考评结果通报如下。",
        table=TableData(["单位", "得分", "等次", "备注"], rows, "2026年度成员单位考评结果"),
        comments=[("县人社局", "优秀", "职工安置工作扎实，按期完成全部议定事项。"),
                  ("县税务局", "良好", "税收债权申报及时，信用修复指导有待加强。")])
    d.update(kw)
    return EvaluationData(**d)


def followup(**kw) -> FollowupData:
    rows = [[f"（{_cn(x.seq)}）", x.text, x.lead_unit, "、".join(x.co_units), f"{x.deadline:%Y-%m-%d}" if x.deadline else "",
             ["已办结", "办理中", "逾期"][x.seq % 3]] for x in decisions()]
    d = dict(head=HEAD, title="第二次联席会议议定事项督促落实情况", meeting_label="平府院联纪〔2026〕2号",
             date=date(2026, 5, 6), summary="第二次联席会议议定事项4项，已办结2项，办理中1项，逾期1项。",
             table=TableData(["序号", "议定事项", "牵头单位", "配合单位", "办理期限", "状态"], rows))
    d.update(kw)
    return FollowupData(**d)


def ledger(rows: int = 12, **kw) -> LedgerData:
    data = [[str(i + 1), f"（2026）晋0829破{i + 1}号", f"山西某某{'煤业' if i % 2 else '食品'}有限公司",
             "重整" if i % 2 else "清算", "职工312人，欠薪约1,200万元，涉及集资", "县人社局、县信访局",
             "已召开债权人会议，职工安置方案正在制定", "2026-03-18"] for i in range(rows)]
    d = dict(head=HEAD, title="重大敏感破产案件台账", date=date(2026, 4, 1),
             table=TableData(["序号", "案号", "企业名称", "程序", "敏感因素", "责任单位", "进展情况", "更新日期"], data))
    d.update(kw)
    return LedgerData(**d)
