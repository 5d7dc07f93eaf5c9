"""All models, grouped by domain; importing this package registers every table on FAB's metadata."""
from app.models.base import Model  # noqa: F401
from app.models.org import (ApiCredential, Category, DocCounter, Holiday, LoginSession, Notification, Setting, Unit, AppUser,  # noqa: F401
                            category_unit)
from app.models.cases import Case, CaseProgress  # noqa: F401
from app.models.supervision import (ExtensionRequest, Matter, MatterAssignment, MatterEvent,  # noqa: F401
                                    Reminder)
from app.models.meetings import (Attendance, Decision, Meeting, MeetingTopic, Minutes,  # noqa: F401
                                 MinutesDistribution)
from app.models.sharing import Bulletin, BulletinDistribution, BulletinSection, Policy  # noqa: F401
from app.models.risk import Assessment, DisposalPlan, PlanMeasure, RiskScheme  # noqa: F401
from app.models.research import Proposal, ResearchProject  # noqa: F401
from app.models.groups import CoordinationGroup, GroupLog, GroupMember  # noqa: F401
from app.models.evaluation import ClueReport, Evaluation, EvaluationEntry  # noqa: F401
from app.models.common import Attachment, AuditLog  # noqa: F401
from app.models.requests import (CaseAssignment, CheckItem, CheckLine, CoordinationRequest,  # noqa: F401
                                 request_unit)
from app.models.indexes import PERFORMANCE_INDEXES  # noqa: F401,E402  (issue 8)

from app.models import readable as _readable  # noqa: E402

_readable.install([Category, Holiday, Notification, Setting, DocCounter, CaseProgress, ExtensionRequest, Matter,
                   MatterAssignment, MatterEvent, Reminder, Attendance, Decision, Meeting, MeetingTopic, Minutes,
                   MinutesDistribution, Bulletin, BulletinDistribution, BulletinSection, Policy, Assessment,
                   DisposalPlan, PlanMeasure, RiskScheme, Proposal, ResearchProject, CoordinationGroup, GroupLog,
                   GroupMember, ClueReport, Evaluation, EvaluationEntry, Attachment, AuditLog, Unit, Case])
