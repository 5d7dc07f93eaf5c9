"""Locks and lifecycle gates, enforced where every write passes: the session's flush.

Issued minutes, issued bulletins and evaluations, dissolved groups, completed research, closed plans,
sent matters: each is frozen by its own state, and its children (decisions, sections, entries,
members, log entries, measures, parts …) cannot be added, changed, moved or removed while the OLD or
the NEW parent is frozen. Generated pages, related views, the REST API, bulk actions, services and the
CLI all flush through here, so none of them can get round a lock (issue 11).

A lock is judged by the record's state at the start of the transaction: the step that issues the
minutes may still write the decisions' matters and the distribution in the same transaction; the
next request finds them frozen. Workflow transitions a frozen record may still take are listed
(e.g. issued minutes → superseded by an amendment).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from app import models as m
from app.services.errors import BusinessError

IGNORED_COLUMNS = frozenset({"version_id", "updated_at", "created_at"})
#: messages may say which operation was refused: "议定事项不能{op}"
OPERATION_WORDS = {"insert": "增加", "update": "修改", "delete": "删除"}
_BASELINE = "_lock_baseline"


@dataclass(frozen=True)
class RecordLock:
    """A record frozen by its own state."""

    model: type
    columns: tuple[str, ...]                      # the state `locked` reads
    locked: Callable[[Mapping], bool]
    message: str
    frozen: Optional[frozenset] = None            # None: every column; else only these
    transitions: tuple[tuple[str, str, str], ...] = ()  # (column, from, to) still allowed
    deletable: bool = False
    delete_message: Optional[str] = None          # when deleting is refused for another reason


@dataclass(frozen=True)
class ParentLock:
    """A child frozen with its parent: no insert, change, move or delete under a frozen parent."""

    model: type
    relation: str                                 # many-to-one relationship on the child
    columns: tuple[str, ...]                      # the parent's state `locked` reads
    locked: Callable[[Mapping], bool]
    message: str
    frozen: Optional[frozenset] = None            # child columns an update may not change (None: all)
    on_insert: bool = True
    on_delete: bool = True


@dataclass
class Rulebook:
    records: dict = field(default_factory=dict)   # model -> [RecordLock]
    children: dict = field(default_factory=dict)  # model -> [ParentLock]
    gates: dict = field(default_factory=dict)     # model -> [callable(session, obj, operation)]

    def record(self, lock: RecordLock) -> None:
        self.records.setdefault(lock.model, []).append(lock)

    def child(self, lock: ParentLock) -> None:
        self.children.setdefault(lock.model, []).append(lock)

    def gate(self, model: type):
        """A lifecycle rule of `model` checked at flush: fn(session, obj, "insert"|"update"|"delete")."""
        def register(fn):
            self.gates.setdefault(model, []).append(fn)
            return fn
        return register

    def tracked_models(self) -> set[type]:
        parents = {inspect(lock.model).relationships[lock.relation].mapper.class_
                   for locks in self.children.values() for lock in locks}
        return set(self.records) | parents


RULES = Rulebook()

# --- 会议机制 -------------------------------------------------------------------------------------------
MINUTES_FROZEN = "纪要已印发，不能{op}；如需更正请制发修正纪要"
OPEN_MEETING = ("scheduled", "held")
RULES.record(RecordLock(m.Minutes, ("status",), lambda s: s["status"] != "draft", MINUTES_FROZEN,
                        transitions=(("status", "issued", "superseded"),)))
RULES.child(ParentLock(m.Decision, "minutes", ("status",), lambda s: s["status"] != "draft",
                       "纪要已印发，议定事项不能{op}；如需更正请制发修正纪要"))
RULES.child(ParentLock(m.MinutesDistribution, "minutes", ("status",), lambda s: s["status"] != "draft",
                       "纪要已印发，分送范围不能修改"))
RULES.record(RecordLock(m.Meeting, ("seq",), lambda s: s["seq"] is not None, "会议已编号，不能更改会议类型",
                        frozen=frozenset({"kind"}), delete_message="已编号的会议不能删除，可取消会议（记录保留）"))
for _child, _what in ((m.MeetingTopic, "议题"), (m.Attendance, "签到")):
    RULES.child(ParentLock(_child, "meeting", ("status",), lambda s: s["status"] not in OPEN_MEETING,
                           f"会议已结束、已印发纪要或已取消，{_what}不能修改"))

# --- 信息共享机制 -----------------------------------------------------------------------------------------
RULES.record(RecordLock(m.Bulletin, ("status",), lambda s: s["status"] == "issued", "通报已印发，不能修改"))
for _child in (m.BulletinSection, m.BulletinDistribution):
    RULES.child(ParentLock(_child, "bulletin", ("status",), lambda s: s["status"] == "issued",
                           "通报已印发，内容和分送范围不能修改"))

# --- 风险评估机制 -----------------------------------------------------------------------------------------
RULES.record(RecordLock(m.DisposalPlan, ("status",), lambda s: s["status"] == "closed", "处置方案已结束，不能修改"))
RULES.record(RecordLock(m.DisposalPlan, ("status",), lambda s: s["status"] != "draft", "", frozen=frozenset(),
                        delete_message="已批准的处置方案不能删除，可结束"))
RULES.child(ParentLock(m.PlanMeasure, "plan", ("status",), lambda s: s["status"] != "draft",
                       "处置方案已批准，措施不能再增加、修改、移动或删除"))

# --- 督促推进机制 -----------------------------------------------------------------------------------------
# what the letter said; its provenance (decision, plan measure) may be re-linked by an amendment
MATTER_CONTENT = frozenset({"title", "content", "lead_unit_id", "category_id", "case_id", "source", "assigned_date",
                            "contact_name", "contact_phone", "group_id"})
RULES.record(RecordLock(m.Matter, ("status",), lambda s: s["status"] != "draft",
                        "事项已函告，不能直接修改；请通过延期、退回等办理流程变更", frozen=MATTER_CONTENT))
RULES.child(ParentLock(m.MatterAssignment, "matter", ("status",), lambda s: s["status"] != "draft",
                       "事项已函告，承办单位不能增加、更换或移除", frozen=frozenset({"matter_id", "unit_id", "role"})))

# --- 联合调研及提案机制 -------------------------------------------------------------------------------------
RULES.record(RecordLock(m.ResearchProject, ("status",), lambda s: s["status"] == "completed", "调研已完成，不能修改"))
RULES.record(RecordLock(m.ResearchProject, ("status",), lambda s: s["status"] != "planned", "", frozen=frozenset(),
                        delete_message="已启动的调研不能删除"))
RULES.record(RecordLock(m.Proposal, ("status",), lambda s: s["status"] not in ("drafting", "returned"),
                        "提案已提交或已通过，内容不能修改（退回修改后可再编辑）",
                        frozen=frozenset({"title", "kind", "units", "research_id", "text"}),
                        delete_message="只有起草中的提案可以删除"))
RULES.record(RecordLock(m.Proposal, ("status",), lambda s: s["status"] == "returned", "", frozen=frozenset(),
                        delete_message="只有起草中的提案可以删除"))

# --- 重点案件专门领导协调组机制 ------------------------------------------------------------------------------
GROUP_DISSOLVED = "协调组已撤销，成员、工作日志和任务不能再增加或修改"
RULES.record(RecordLock(m.CoordinationGroup, ("status",), lambda s: s["status"] == "dissolved", "协调组已撤销，不能修改"))
for _child in (m.GroupMember, m.GroupLog):
    RULES.child(ParentLock(_child, "group", ("status",), lambda s: s["status"] == "dissolved", GROUP_DISSOLVED))
RULES.child(ParentLock(m.Matter, "group", ("status",), lambda s: s["status"] == "dissolved", GROUP_DISSOLVED,
                       frozen=frozenset({"group_id"}), on_delete=False))

# --- 评价通报 ------------------------------------------------------------------------------------------------
EVALUATION_FROZEN = "评价通报已印发，指标和评价已冻结，不能修改"
RULES.record(RecordLock(m.Evaluation, ("status",), lambda s: s["status"] == "issued", EVALUATION_FROZEN))
RULES.child(ParentLock(m.EvaluationEntry, "evaluation", ("status",), lambda s: s["status"] == "issued",
                       EVALUATION_FROZEN))


# --- 协调申请与信息核查 (issue 14) ------------------------------------------------------------------------
REQUEST_DECIDED = "申请已审核（或已撤回），不能再{op}；如有新的需要请另行提出申请"
RULES.record(RecordLock(m.CoordinationRequest, ("status",), lambda s: s["status"] != "submitted",
                        REQUEST_DECIDED.format(op="修改"), delete_message="申请已审核（或已撤回），不能删除，记录保留"))
RULES.child(ParentLock(m.CheckLine, "request", ("status",), lambda s: s["status"] != "submitted",
                       "申请已审核（或已撤回），核查事项不能再{op}"))


@RULES.gate(m.CheckLine)
def _line_follows_its_item(session, line, operation):
    """A line belongs to an information check and asks its item's unit (the catalogue's, whatever a
    form or body says)."""
    if operation == "delete":
        return
    item = line.item if line.item is not None else (session.get(m.CheckItem, line.item_id) if line.item_id else None)
    if item is None:
        raise BusinessError("请选择核查事项", 422)
    request = line.request if line.request is not None else (
        session.get(m.CoordinationRequest, line.request_id) if line.request_id else None)
    if request is not None and request.kind != "check":
        raise BusinessError("只有信息核查申请可以列核查事项", 422)
    if line.unit_id != item.unit_id or line.unit is not item.unit:
        line.unit = item.unit


@RULES.gate(m.EvaluationEntry)
def _entries_go_with_their_evaluation(session, entry, operation):
    """A unit's entry is computed with the evaluation: it goes only when the whole evaluation does."""
    if operation == "delete" and not any(isinstance(o, m.Evaluation) and o.id == entry.evaluation_id
                                         for o in session.deleted):
        raise BusinessError("各单位评价随年度评价通报计算生成，不能单独删除", 409)


@RULES.gate(m.Case)
def _acceptance_gate(session, case, operation):
    if operation == "update":
        from app.services.risk import check_acceptance

        check_acceptance(session, case)


# --- the machinery ----------------------------------------------------------------------------------------

def changed_keys(obj) -> set[str]:
    """Columns an update changes, with a many-to-one relationship counted as its foreign-key column
    (it is synchronised only during the flush) and a changed collection by its name."""
    state = inspect(obj)
    keys: set[str] = set()
    for attr in state.mapper.column_attrs:
        if attr.key not in IGNORED_COLUMNS and state.attrs[attr.key].history.has_changes():
            hist = state.attrs[attr.key].history
            if list(hist.added) != list(hist.deleted):
                keys.add(attr.key)
    for rel in state.mapper.relationships:
        if not state.attrs[rel.key].history.has_changes():
            continue
        if rel.direction.name == "MANYTOONE":
            hist = state.attrs[rel.key].history
            old = {_pk(o) for o in hist.deleted if o is not None}
            new = {_pk(o) for o in hist.added if o is not None}
            if old != new or any(o is not None and _pk(o) is None for o in hist.added):
                keys.update(c.key for c in rel.local_columns)
        elif rel.secondary is not None:
            keys.add(rel.key)
    return keys


def _pk(obj):
    identity = inspect(obj).identity
    return identity[0] if identity else None


def _column_change(obj, key: str) -> tuple:
    hist = inspect(obj).attrs[key].history
    old = hist.deleted[0] if hist.deleted else None
    new = hist.added[0] if hist.added else None
    return old, new


def _parent_ids(obj, relation: str, new: bool) -> set[int]:
    """The persistent parents the child belongs to now and belonged to before this change."""
    state = inspect(obj)
    rel = state.mapper.relationships[relation]
    ids: set[int] = set()
    current = getattr(obj, relation)
    if current is not None and _pk(current) is not None:
        ids.add(_pk(current))
    for column in rel.local_columns:
        hist = state.attrs[column.key].history
        ids.update(v for v in (*hist.added, *hist.unchanged, *hist.deleted) if v is not None)
    if not new:
        hist = state.attrs[relation].history
        ids.update(_pk(o) for o in (*hist.deleted, *hist.unchanged) if o is not None and _pk(o) is not None)
    return ids


def _baselines(session: Session) -> dict:
    return session.info.setdefault(_BASELINE, {})


def _remember(session: Session, obj, columns: tuple[str, ...]) -> None:
    """Keep a tracked record's state as it was before this transaction changed it."""
    key = (type(obj), _pk(obj))
    if key[1] is None or key in _baselines(session):
        return
    state = inspect(obj)
    values = {}
    unknown = []
    for column in columns:
        hist = state.attrs[column].history
        if hist.deleted:
            values[column] = hist.deleted[0]
        elif state.committed_state.get(column, None) is NO_VALUE:
            unknown.append(column)  # set on an expired object without being read: the old value is in the row
        else:
            values[column] = getattr(obj, column)
    if unknown:
        table = type(obj).__table__
        row = session.connection().execute(select(*[table.c[c] for c in unknown]).where(table.c.id == key[1])).first()
        values.update(dict(row._mapping) if row is not None else {c: None for c in unknown})
    _baselines(session)[key] = values


def _state_at_start(session: Session, model: type, pk, columns: tuple[str, ...]) -> Optional[dict]:
    key = (model, pk)
    known = _baselines(session).get(key)
    if known is not None and all(c in known for c in columns):
        return known
    instance = session.identity_map.get(inspect(model).identity_key_from_primary_key((pk,)))
    if instance is not None:
        _remember(session, instance, columns)
        return _baselines(session).get(key)
    table = model.__table__
    row = session.connection().execute(select(*[table.c[c] for c in columns]).where(table.c.id == pk)).first()
    if row is None:
        return None
    _baselines(session)[key] = dict(row._mapping)
    return _baselines(session)[key]


def _columns_for(model: type) -> tuple[str, ...]:
    columns: set[str] = set()
    for lock in RULES.records.get(model, []):
        columns.update(lock.columns)
    for locks in RULES.children.values():
        for lock in locks:
            if inspect(lock.model).relationships[lock.relation].mapper.class_ is model:
                columns.update(lock.columns)
    return tuple(sorted(columns))


def _check_record(session: Session, obj, operation: str) -> None:
    for lock in RULES.records.get(type(obj), []):
        state = _state_at_start(session, type(obj), _pk(obj), lock.columns)
        if state is None or not lock.locked(state):
            continue
        if operation == "delete":
            if not lock.deletable:
                raise BusinessError((lock.delete_message or lock.message).format(op="删除"), 409)
            continue
        changed = changed_keys(obj)
        if lock.frozen is not None:
            changed &= lock.frozen
        for column, old, new in lock.transitions:
            if column in changed and _column_change(obj, column) == (old, new):
                changed.discard(column)
        if changed:
            raise BusinessError(lock.message.format(op="修改"), 409)


def _check_child(session: Session, obj, operation: str) -> None:
    for lock in RULES.children.get(type(obj), []):
        if operation == "insert" and not lock.on_insert or operation == "delete" and not lock.on_delete:
            continue
        if operation == "update":
            changed = changed_keys(obj)
            if lock.frozen is not None:
                changed &= lock.frozen
            if not changed:
                continue
        parent_model = inspect(lock.model).relationships[lock.relation].mapper.class_
        for parent_id in _parent_ids(obj, lock.relation, new=operation == "insert"):
            state = _state_at_start(session, parent_model, parent_id, lock.columns)
            if state is not None and lock.locked(state):
                raise BusinessError(lock.message.format(op=OPERATION_WORDS[operation]), 409)


def check_flush(session: Session) -> None:
    """Every pending insert, update and delete against the rulebook (raises BusinessError)."""
    tracked = RULES.tracked_models()
    with session.no_autoflush:
        for obj in list(session.dirty) + list(session.deleted):  # their state before this transaction
            if type(obj) in tracked:
                _remember(session, obj, _columns_for(type(obj)))
        for operation, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in list(objects):
                model = type(obj)
                if operation == "update" and not session.is_modified(obj):
                    continue
                if operation != "insert":
                    _check_record(session, obj, operation)
                _check_child(session, obj, operation)
                for gate in RULES.gates.get(model, []):
                    gate(session, obj, operation)


def install() -> None:
    """Attach the rulebook to every ORM session (once per process)."""
    if getattr(install, "_done", False):
        return
    install._done = True

    def _before_flush(session, flush_context, instances):
        check_flush(session)

    event.listen(Session, "before_flush", _before_flush, insert=True)  # before anything else sees the flush

    def _forget(session, *args):
        session.info.pop(_BASELINE, None)

    event.listen(Session, "after_commit", _forget)
    event.listen(Session, "after_rollback", _forget)
    event.listen(Session, "after_soft_rollback", _forget)
