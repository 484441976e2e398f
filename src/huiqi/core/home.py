"""The 工作台 (home page), by role: the few figures and links each role starts its day with.

Like navigation.py, one readable table of what each role sees, built from other apps' selectors only.
Every figure is a cheap query (indexed counts, a handful of rows, or a cached registry count: see
enterprises.selectors.registry_summary), because everyone lands here after signing in.

- every role: unread messages;
- staff who read the registry: its size, the red list, a search box; staff who work to time limits
  also get the working-day look-up (N 个工作日后是哪天, 自受理次日起计算);
- system administrator: the latest imports and the holiday schedule of this year and next;
- security administrator: accounts enabled, disabled, never used, locked out now;
- audit administrator: the last 24 hours of the audit log and ready-made searches;
- enterprise user: the enterprises it acts for;
- roles of the 12345 enterprise line (agent, dispatcher, handler, supervisor, leader, enterprise): a
  row of figures of their appeals queues (APPEAL_FIGURES), counted by appeals.selectors_home.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals import selectors_home as appeal_selectors
from huiqi.core import calendar_selectors, selectors, workdays
from huiqi.enterprises import selectors as enterprise_selectors

WEEKDAYS = "一二三四五六日"
# 办理时限 in the city's rules are usually 1, 3, 5, 10 or 15 working days (承诺时限 / 法定时限).
WORKDAY_OFFSETS = (1, 3, 5, 10, 15)
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Roles that work to time limits (appeals, policies, specialists) and so want the working-day look-up.
DEADLINE_ROLES = frozenset(Role) - ADMIN_ROLES - {Role.ENTERPRISE}


@dataclass(frozen=True)
class Stat:
    """One figure on a card; `tone` is a Bootstrap colour name ("danger", "warning", "success") or ""."""

    label: str
    value: str
    url: str = ""
    note: str = ""
    tone: str = ""


@dataclass(frozen=True)
class Row:
    text: str
    url: str = ""
    meta: str = ""
    badge: str = ""
    tone: str = "secondary"


@dataclass(frozen=True)
class Panel:
    title: str
    icon: str
    rows: list[Row] = field(default_factory=list)
    empty: str = ""
    more_url: str = ""
    more_label: str = ""
    note: str = ""


@dataclass(frozen=True)
class Home:
    today: str
    is_working_day: bool
    stats: list[Stat]
    panels: list[Panel]
    show_registry_search: bool
    work: list[Stat] = field(default_factory=list)  # the appeals queues' figures, a row of their own


@dataclass(frozen=True)
class AppealFigure:
    """One figure of APPEAL_FIGURES: a key of appeals.selectors_home.workbench_counts, its card and
    the queue page it opens. `note` may name other keys ({month_handled_closed}); `tone` colours
    the card when the figure is not zero (work waiting, or late)."""

    key: str
    label: str
    page: str
    query: dict[str, str] | None = None
    note: str = "件"
    tone: str = ""
    fragment: str = ""


# What each role of the 12345 enterprise line sees first: the queues it works from.
APPEAL_FIGURES: dict[str, list[AppealFigure]] = {
    Role.AGENT: [
        AppealFigure("registered_today", "今日登记", "appeals:hotline", note="件（本人登记）"),
        AppealFigure(
            "awaiting_follow_up", "待回访", "appeals:follow_up_queue", note="件已答复", tone="warning"
        ),
    ],
    Role.DISPATCHER: [
        AppealFigure("awaiting_dispatch", "待派单", "appeals:dispatch_queue", tone="danger"),
        AppealFigure("replies_to_review", "答复待审", "appeals:review_queue", tone="warning"),
        AppealFigure(
            "extensions_to_approve", "延期待批", "appeals:review_queue", {"tab": "extensions"}, tone="warning"
        ),
    ],
    Role.HANDLER: [
        AppealFigure(
            "to_accept", "待签收", "appeals:department_queue", {"state": "dispatched"}, tone="warning"
        ),
        AppealFigure("in_handling", "办理中", "appeals:department_queue", {"state": "accepted"}),
        AppealFigure(
            "warning", "临期预警", "appeals:department_queue", note="件（已过时限 80%）", tone="warning"
        ),
        AppealFigure("overdue", "已超期", "appeals:department_queue", tone="danger"),
    ],
    Role.SUPERVISOR: [
        AppealFigure(
            "overdue", "超期工单", "appeals:supervision_queue", tone="danger", fragment="overdue-tickets"
        ),
        AppealFigure(
            "warning", "预警工单", "appeals:supervision_queue", tone="warning", fragment="warning-tickets"
        ),
        AppealFigure(
            "open_supervisions", "督办中", "appeals:supervision_queue", fragment="supervision-records"
        ),
    ],
    Role.LEADER: [
        AppealFigure("mayor_line_pending", "直通车待批示", "appeals:mayor_line", tone="danger"),
        AppealFigure("month_registered", "本月受理", "appeals:metrics"),
        AppealFigure(
            "month_on_time_rate", "本月按时办结率", "appeals:metrics", note="办结 {month_handled_closed} 件"
        ),
    ],
    Role.ENTERPRISE: [
        AppealFigure("open_appeals", "办理中的诉求", "appeals:my_appeals"),
        AppealFigure("awaiting_evaluation", "待评价", "appeals:my_appeals", note="件已答复", tone="warning"),
    ],
}


def _url(name: str, query: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """The page's address, or "" when that page is not built yet (so the home page never breaks)."""
    try:
        url = reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def format_day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def _thousands(n: int) -> str:
    return f"{n:,}"


def home_for(user: Any, *, today: datetime.date | None = None) -> Home:
    """What the signed-in `user` sees on the 工作台."""
    today = today or timezone.localdate()
    role = user.role
    stats: list[Stat] = []
    panels: list[Panel] = []

    summary = enterprise_selectors.registry_summary(user=user)
    if summary is not None:
        stats.append(Stat("市场主体", _thousands(summary.total), _url("enterprises:list"), "家企业"))
        stats.append(
            Stat(
                "红名单企业", _thousands(summary.red_list), _url("enterprises:list", {"red_list": "1"}), "家"
            )
        )

    if role == Role.SYSTEM_ADMIN:
        stats.extend(_calendar_stats(today))
        panels.append(_imports_panel(user))
        panels.append(_admin_links())
    elif role == Role.SECURITY_ADMIN:
        accounts = account_selectors.account_summary(user=user)
        manage = _url("accounts:account_list")
        stats += [
            Stat("启用的账号", _thousands(accounts.active), manage),
            Stat("停用的账号", _thousands(accounts.inactive), manage),
            Stat("从未登录", _thousands(accounts.never_signed_in), manage, "个启用的账号"),
            Stat(
                "当前锁定", str(len(accounts.locked)), manage, "个账号", "danger" if accounts.locked else ""
            ),
        ]
        panels.append(
            Panel(
                "当前锁定的账号",
                "person-lock",
                [
                    Row(name, _url("accounts:account_list", {"q": name}), "连续登录失败")
                    for name in accounts.locked
                ],
                empty="没有被锁定的账号。",
                more_url=manage,
                more_label="账号安全",
                note="账号连续登录失败达到上限后被临时锁定；核实是本人后可在“账号安全”页面解锁或重置密码。",
            )
        )
    elif role == Role.AUDIT_ADMIN:
        audit = selectors.audit_summary(user=user)
        audit_url = _url("core:audit")
        day = today.isoformat()
        stats += [
            Stat("24 小时内事件", _thousands(audit.events), _url("core:audit", {"occurred_from": day})),
            Stat(
                "登录失败",
                _thousands(audit.sign_in_failures),
                _url("core:audit", {"action": "user.sign_in_fail"}),
                "次（24 小时内）",
                "warning" if audit.sign_in_failures else "",
            ),
            Stat(
                "账号锁定",
                _thousands(audit.lock_outs),
                _url("core:audit", {"action": "user.lock_out"}),
                "次（24 小时内）",
                "danger" if audit.lock_outs else "",
            ),
        ]
        panels.append(_audit_searches(audit_url, day, audit.latest_at))
    elif role == Role.ENTERPRISE:
        panels.append(_my_enterprises_panel(user))

    work = _appeal_figures(user)
    panels.append(_messages_panel(user))
    if role in DEADLINE_ROLES:
        panels.append(_workdays_panel(today))
    unread = selectors.unread_count_for(user=user)
    stats.append(
        Stat("未读消息", str(unread), _url("core:inbox", {"unread": "1"}), "条", "danger" if unread else "")
    )
    return Home(
        today=format_day(today),
        is_working_day=workdays.is_working_day(today),
        stats=stats,
        panels=panels,
        show_registry_search=summary is not None,
        work=work,
    )


def _appeal_figures(user: Any) -> list[Stat]:
    figures = APPEAL_FIGURES.get(user.role, [])
    if not figures:
        return []
    counts = appeal_selectors.workbench_counts(user=user)
    stats = []
    for figure in figures:
        if figure.key not in counts:
            continue
        value = counts[figure.key]
        url = _url(figure.page, figure.query)
        if url and figure.fragment:
            url = f"{url}#{figure.fragment}"
        busy = isinstance(value, int) and value > 0
        stats.append(
            Stat(
                figure.label,
                _thousands(value) if isinstance(value, int) else str(value),
                url,
                figure.note.format(**counts),
                figure.tone if busy else "",
            )
        )
    return stats


def _calendar_stats(today: datetime.date) -> list[Stat]:
    missing = set(calendar_selectors.missing_schedule_years(today=today))
    stats = []
    for year in (today.year, today.year + 1):
        is_missing = year in missing
        stats.append(
            Stat(
                f"{year} 年节假日安排",
                "未录入" if is_missing else "已录入",
                _url("core:calendar", {"year": year}),
                "期限按只扣周末临时计算" if is_missing else "",
                "warning" if is_missing else "success",
            )
        )
    return stats


def _imports_panel(user: Any) -> Panel:
    rows = []
    for batch in enterprise_selectors.recent_import_batches(user=user, limit=5):
        when = timezone.localtime(batch.created_at).strftime("%m-%d %H:%M")
        counts = (
            f"新增 {batch.created_count}，更新 {batch.updated_count}，拒绝 {batch.rejected_count}"
            if batch.finished_at
            else ""
        )
        tone = {"done": "success", "failed": "danger"}.get(batch.status, "secondary")
        if batch.status == "done" and batch.rejected_count:
            tone = "warning"
        rows.append(
            Row(
                f"{batch.file_name}",
                _url("enterprises:import_batch", batch_id=batch.pk),
                f"{when} · {counts}" if counts else when,
                batch.get_status_display() + ("（仅校验）" if batch.is_dry_run else ""),
                tone,
            )
        )
    return Panel(
        "最近的企业导入",
        "upload",
        rows,
        empty="还没有从网页导入过企业数据（命令行导入见运维手册）。",
        more_url=_url("enterprises:import"),
        more_label="企业导入",
    )


def _admin_links() -> Panel:
    links = [
        ("导入企业数据（CSV / Excel）", "enterprises:import", "upload"),
        ("录入或修改节假日安排", "core:calendar", "calendar3"),
        ("管理账号与部门", "admin:index", "people"),
        ("接口文档（API）", "api-docs", "code-square"),
    ]
    return Panel(
        "常用操作",
        "lightning",
        [Row(text, url) for text, name, _icon in links if (url := _url(name))],
    )


def _audit_searches(audit_url: str, day: str, latest_at: datetime.datetime | None) -> Panel:
    searches = [
        ("今天的全部事件", {"occurred_from": day}),
        ("登录失败", {"action": "user.sign_in_fail"}),
        ("账号锁定与解锁", {"action": "user.lock_out"}),
        ("账号新建、修改、重置密码", {"action": "user."}),
        ("企业数据的新增、修改、导入、导出", {"action": "enterprise."}),
        ("工作日历的修改", {"action": "calendar."}),
        ("审计日志本身的查询与导出", {"action": "audit."}),
    ]
    latest = timezone.localtime(latest_at).strftime("%Y-%m-%d %H:%M:%S") if latest_at else "无"
    return Panel(
        "常用查询",
        "search",
        [Row(text, f"{audit_url}?{urlencode(query)}") for text, query in searches],
        more_url=audit_url,
        more_label="审计日志",
        note=f"最新一条事件：{latest}。每天由运维执行 huiqi audit_verify 校验哈希链，断链即告警。",
    )


def _my_enterprises_panel(user: Any) -> Panel:
    rows = [
        Row(
            m.enterprise.name,
            _url("enterprises:detail", uscc=m.enterprise.uscc),
            m.enterprise.uscc,
            m.enterprise.get_status_display(),
            "success" if m.enterprise.status == "active" else "secondary",
        )
        for m in account_selectors.memberships_for(user)
    ]
    return Panel(
        "我的企业",
        "building",
        rows,
        empty="您的账号尚未关联任何企业。请联系平台管理员，核实身份后关联企业。",
        more_url=_url("policies:my_matches"),
        more_label="查看可享受的政策",
    )


def _messages_panel(user: Any) -> Panel:
    rows = [
        Row(
            n.subject,
            _url("core:inbox", {"unread": "1"}),
            timezone.localtime(n.created_at).strftime("%m-%d %H:%M"),
        )
        for n in selectors.inbox_for(user=user, unread_only=True)[:5]
    ]
    return Panel(
        "未读消息", "bell", rows, empty="没有未读消息。", more_url=_url("core:inbox"), more_label="全部消息"
    )


def _workdays_panel(today: datetime.date) -> Panel:
    rows = []
    for n in WORKDAY_OFFSETS:
        result = workdays.add_working_days(today, n)
        value = result.value
        day = value.date() if isinstance(value, datetime.datetime) else value
        rows.append(
            Row(f"{n} 个工作日后", "", format_day(day), "临时" if result.is_provisional else "", "warning")
        )
    return Panel(
        "工作日速查",
        "calendar-check",
        rows,
        note="自今天次日起计算（自受理次日起计算）；标“临时”的日期所在年份尚未录入节假日安排，只扣除了周末。",
    )
