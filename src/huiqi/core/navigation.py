"""The main menu, by role. Each app adds its entries here so the shell stays one readable table."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from huiqi.accounts.enums import Role

ALL_STAFF = frozenset(r for r in Role if r != Role.ENTERPRISE)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str]


NAV_ITEMS: list[NavItem] = [
    NavItem("工作台", "core:home", "house", frozenset(Role)),
    NavItem(
        "市场主体库", "enterprises:list", "buildings", ALL_STAFF - {Role.AUDIT_ADMIN, Role.SECURITY_ADMIN}
    ),
    NavItem("企业导入", "enterprises:import", "upload", frozenset({Role.SYSTEM_ADMIN})),
    NavItem("我的企业", "enterprises:mine", "building", frozenset({Role.ENTERPRISE})),
    NavItem("我能享受的政策", "policies:my_matches", "gift", frozenset({Role.ENTERPRISE})),
    NavItem("工作日历", "core:calendar", "calendar3", frozenset({Role.SYSTEM_ADMIN})),
    NavItem("审计日志", "core:audit", "shield-check", frozenset({Role.AUDIT_ADMIN})),
    NavItem("账号安全", "accounts:account_list", "person-lock", frozenset({Role.SECURITY_ADMIN})),
    NavItem("账号与部门", "admin:index", "people", frozenset({Role.SYSTEM_ADMIN})),
    NavItem("政策编辑", "policies:item_list", "journal-text", frozenset({Role.POLICY_EDITOR})),
    NavItem("政策审核", "policies:review_queue", "clipboard-check", frozenset({Role.POLICY_REVIEWER})),
    NavItem(
        "政策查询",
        "policies:search",
        "search",
        frozenset(Role) - {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN},
    ),
    NavItem(
        "匹配任务", "policies:match_runs", "diagram-3", frozenset({Role.POLICY_REVIEWER, Role.SYSTEM_ADMIN})
    ),
    NavItem(
        "诉求统计",
        "appeals:metrics",
        "graph-up",
        frozenset({Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER}),
    ),
    NavItem("热线受理", "appeals:hotline", "headset", frozenset({Role.AGENT})),
    NavItem("我的诉求", "appeals:my_appeals", "chat-square-text", frozenset({Role.ENTERPRISE})),
    NavItem("提交诉求", "appeals:new_appeal", "pencil-square", frozenset({Role.ENTERPRISE})),
    NavItem("市长直通车", "appeals:mayor_line", "star", frozenset({Role.LEADER})),
    NavItem("派单", "appeals:dispatch_queue", "send", frozenset({Role.DISPATCHER})),
    NavItem("部门工单", "appeals:department_queue", "briefcase", frozenset({Role.HANDLER})),
    NavItem("督办", "appeals:supervision_queue", "megaphone", frozenset({Role.SUPERVISOR})),
    NavItem("回访", "appeals:follow_up_queue", "telephone-outbound", frozenset({Role.AGENT})),
    NavItem("消息", "core:inbox", "bell", frozenset(Role)),
    NavItem("接口文档", "api-docs", "code-square", frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN})),
]


def items_for(user) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for item in NAV_ITEMS:
        if user.role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the page is not built yet
        items.append({"label": item.label, "url": url, "icon": item.icon})
    return items
