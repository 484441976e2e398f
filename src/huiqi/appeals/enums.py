"""The appeals' vocabulary (GLOSSARY.md, "Appeals"), importable by other apps (dashboard, demo data):
STYLE.md lets an app import another app's enums, never its models or workflow."""

from django.db import models


class Channel(models.TextChoices):
    HOTLINE = "hotline", "热线"
    WEB = "web", "网站"
    APP = "app", "小程序"
    MAYOR_LINE = "mayor_line", "直通车"
    VISIT = "visit", "走访"


class Kind(models.TextChoices):
    CONSULTATION = "consultation", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"


class Priority(models.TextChoices):
    """Ordered: `rank` compares them (red list and mayor line go first, GLOSSARY `red_list`)."""

    NORMAL = "normal", "一般"
    HIGH = "high", "优先"
    URGENT = "urgent", "紧急"

    @classmethod
    def rank(cls, value: str) -> int:
        return [cls.NORMAL, cls.HIGH, cls.URGENT].index(cls(value))

    @classmethod
    def highest(cls, *values: str | None) -> "Priority":
        present = [cls(v) for v in values if v]
        return max(present, key=cls.rank) if present else cls.NORMAL


class TicketState(models.TextChoices):
    """The states of a ticket; the transitions between them are the table in appeals/workflow.py."""

    AWAITING_INSTRUCTION = "awaiting_instruction", "待领导批示"
    AWAITING_DISPATCH = "awaiting_dispatch", "待派单"
    DISPATCHED = "dispatched", "待签收"
    ACCEPTED = "accepted", "办理中"
    PAUSED = "paused", "暂停计时"
    REPLY_REVIEW = "reply_review", "答复待审"
    REPLIED = "replied", "已答复待回访"
    CLOSED = "closed", "已办结"


class TicketAction(models.TextChoices):
    REGISTER = "register", "登记受理"  # history only: a ticket is born with its appeal (not a transition)
    SUPERVISE = "supervise", "督办"  # history only: a supervision does not change the state
    INSTRUCT = "instruct", "领导批示"
    DISPATCH = "dispatch", "派单"
    REDISPATCH = "redispatch", "转派"
    ACCEPT = "accept", "签收"
    RETURN = "return", "退单"
    RECLASSIFY = "reclassify", "改分类"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "批准延期"
    REJECT_EXTENSION = "reject_extension", "驳回延期"
    PAUSE = "pause", "暂停计时"
    RESUME = "resume", "恢复计时"
    SUBMIT_REPLY = "submit_reply", "提交答复"
    APPROVE_REPLY = "approve_reply", "审核通过答复"
    SEND_BACK_REPLY = "send_back_reply", "退回答复"
    RECORD_FOLLOW_UP = "record_follow_up", "回访"
    REOPEN = "reopen", "重办"
    CLOSE = "close", "办结"
    DIRECT_REPLY = "direct_reply", "直接答复"
    MERGE = "merge", "并单"


class Closure(models.TextChoices):
    """How a ticket was closed: the metrics count merged tickets apart (not a handled appeal)."""

    FOLLOWED_UP = "followed_up", "回访后办结"
    WITHOUT_FOLLOW_UP = "without_follow_up", "未回访办结"
    DIRECT_REPLY = "direct_reply", "直接答复"
    MERGED = "merged", "并单"


class ReplyStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", "待审核"
    APPROVED = "approved", "已通过"
    SENT_BACK = "sent_back", "已退回"
    DIRECT = "direct", "直接答复"


class FollowUpMethod(models.TextChoices):
    CALL = "call", "电话回访"
    ONLINE = "online", "网上评价"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    FAIRLY_SATISFIED = "fairly_satisfied", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class ExtensionDecision(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤销"  # the ticket left the department before a decision


class TimeLimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "工作日"
    WORKING_HOURS = "working_hours", "工作小时"


class SupervisionLevel(models.TextChoices):
    """督办 levels. Automatic ones come from `supervise_overdue_tickets`; `manual` is a supervisor's own."""

    WARNING = "warning", "预警提醒"  # 80% of the time limit used
    OVERDUE = "overdue", "超期督办"
    ESCALATED = "escalated", "升级督办"  # still overdue HUIQI_APPEAL_ESCALATE_AFTER_DAYS later
    MANUAL = "manual", "人工督办"
