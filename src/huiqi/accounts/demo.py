"""The demo city for `huiqi load_demo`: 济南市 (370100), its departments, districts and towns, staff of
every role, enterprise users, and a registry of synthetic enterprises.

Everything is created through the services (so the audit log shows how the demo came to be) and
looked up first by its natural key (department code, username), so loading twice creates nothing new;
the enterprise file is generated from a fixed seed and imported by USCC upsert, so a second import
changes nothing. Department codes: city bureaus `370100-<abbreviation>`; a district is its GB/T 2260
code (370102) and its bureaus `370102-<abbreviation>`; a town or street is its district's code and a
three-digit number, in the form of GB/T 10114 (the numbers are demo values, the names are real).
"""

import datetime
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps

from huiqi.accounts import services
from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department, EnterpriseMembership, User

DEMO_PASSWORD = "Huiqi@2026demo"
# The synthetic registry is generated as of a fixed date, so that loading again on another day
# yields the same rows (and the import changes nothing).
DEMO_AS_OF = datetime.date(2026, 1, 1)
CITY_REGION = "370100"
CITY_NAME = "济南市"

# (abbreviation, full name, short name)
CITY_DEPARTMENTS: list[tuple[str, str, str]] = [
    ("FGW", "济南市发展和改革委员会", "市发改委"),
    ("GXJ", "济南市工业和信息化局", "市工信局"),
    ("SWJ", "济南市商务局", "市商务局"),
    ("SCJGJ", "济南市市场监督管理局", "市市场监管局"),
    ("RSJ", "济南市人力资源和社会保障局", "市人社局"),
    ("YBJ", "济南市医疗保障局", "市医保局"),
    ("SWUJ", "国家税务总局济南市税务局", "市税务局"),
    ("ZJJ", "济南市住房和城乡建设局", "市住建局"),
    ("ZRZYJ", "济南市自然资源和规划局", "市自然资源和规划局"),
    ("STHJJ", "济南市生态环境局", "市生态环境局"),
    ("CGJ", "济南市城市管理局", "市城管局"),
    ("GJJ", "济南住房公积金中心", "市公积金中心"),
    ("KJJ", "济南市科学技术局", "市科技局"),
    ("CZJ", "济南市财政局", "市财政局"),
    ("JTJ", "济南市交通运输局", "市交通运输局"),
    ("SWJU", "济南市水务局", "市水务局"),
    ("YJJ", "济南市应急管理局", "市应急局"),
    ("WJW", "济南市卫生健康委员会", "市卫健委"),
    ("JYJ", "济南市教育局", "市教育局"),
    ("GAJ", "济南市公安局", "市公安局"),
    ("SFJ", "济南市司法局", "市司法局"),
    ("MZJ", "济南市民政局", "市民政局"),
    ("NYJ", "济南市农业农村局", "市农业农村局"),
    ("WLJ", "济南市文化和旅游局", "市文旅局"),
    ("TJJ", "济南市统计局", "市统计局"),
    ("JRJ", "济南市地方金融管理局", "市金融局"),
    ("XZSPJ", "济南市行政审批服务局", "市行政审批局"),
    ("DSJ", "济南市大数据局", "市大数据局"),
    ("RXZX", "济南市12345市民服务热线中心", "12345热线"),
    ("YSHJJ", "济南市营商环境局", "市营商环境局"),
    ("TCJ", "济南市投资促进局", "市投促局"),
    ("GZW", "济南市人民政府国有资产监督管理委员会", "市国资委"),
]

# (GB/T 2260 code, name, [towns and streets])
DISTRICTS: list[tuple[str, str, list[str]]] = [
    (
        "370102",
        "历下区",
        [
            "解放路街道",
            "千佛山街道",
            "泉城路街道",
            "大明湖街道",
            "文东街道",
            "姚家街道",
            "龙洞街道",
            "智远街道",
        ],
    ),
    (
        "370103",
        "市中区",
        [
            "大观园街道",
            "杆石桥街道",
            "四里村街道",
            "魏家庄街道",
            "六里山街道",
            "舜耕街道",
            "王官庄街道",
            "党家街道",
        ],
    ),
    (
        "370104",
        "槐荫区",
        ["振兴街街道", "中大槐树街道", "道德街街道", "西市场街道", "五里沟街道", "张庄路街道", "美里湖街道"],
    ),
    (
        "370105",
        "天桥区",
        ["天桥东街街道", "北村街道", "堤口路街道", "北坦街道", "制锦市街道", "泺口街道", "桑梓店街道"],
    ),
    (
        "370112",
        "历城区",
        [
            "山大路街道",
            "洪家楼街道",
            "东风街道",
            "全福街道",
            "王舍人街道",
            "港沟街道",
            "唐冶街道",
            "遥墙街道",
        ],
    ),
    ("370113", "长清区", ["文昌街道", "崮云湖街道", "平安街道", "归德街道", "张夏街道", "马山镇", "双泉镇"]),
    ("370114", "章丘区", ["明水街道", "双山街道", "圣井街道", "龙山街道", "埠村街道", "刁镇", "垛庄镇"]),
    ("370115", "济阳区", ["济阳街道", "济北街道", "回河街道", "崔寨街道", "孙耿街道", "仁风镇", "新市镇"]),
    (
        "370116",
        "莱芜区",
        ["凤城街道", "张家洼街道", "高庄街道", "鹏泉街道", "口镇街道", "大王庄镇", "寨里镇"],
    ),
    ("370117", "钢城区", ["艾山街道", "里辛街道", "汶源街道", "颜庄街道", "棋山镇"]),
    ("370124", "平阴县", ["榆山街道", "锦水街道", "东阿镇", "玫瑰镇", "孔村镇", "孝直镇"]),
    ("370126", "商河县", ["许商街道", "殷巷镇", "怀仁镇", "玉皇庙镇", "龙桑寺镇", "贾庄镇"]),
]

# (abbreviation, name suffix, short suffix): the bureaus each district has in the demo.
DISTRICT_BUREAUS: list[tuple[str, str, str]] = [
    ("FGJ", "发展和改革局", "发改局"),
    ("SCJGJ", "市场监督管理局", "市场监管局"),
    ("RSJ", "人力资源和社会保障局", "人社局"),
    ("XZSPJ", "行政审批服务局", "行政审批局"),
    ("ZJJ", "住房和城乡建设局", "住建局"),
    ("SWUJ", "税务局", "税务局"),
]


@dataclass(frozen=True)
class DemoStaff:
    username: str
    full_name: str
    role: str
    department: str | None  # a department code
    phone: str


DEMO_STAFF: list[DemoStaff] = [
    DemoStaff("agent01", "王晓燕", Role.AGENT, "370100-RXZX", "13905310101"),
    DemoStaff("agent02", "李娜", Role.AGENT, "370100-RXZX", "13905310102"),
    DemoStaff("dispatcher01", "刘洋", Role.DISPATCHER, "370100-RXZX", "13905310201"),
    DemoStaff("handler_fgw", "陈静", Role.HANDLER, "370100-FGW", "13905310301"),
    DemoStaff("handler_scjg", "杨帆", Role.HANDLER, "370100-SCJGJ", "13905310302"),
    DemoStaff("handler_rsj", "赵磊", Role.HANDLER, "370100-RSJ", "13905310303"),
    DemoStaff("handler_gjj", "黄丽", Role.HANDLER, "370100-GJJ", "13905310304"),
    DemoStaff("handler_lixia_scjg", "周强", Role.HANDLER, "370102-SCJGJ", "13905310305"),
    DemoStaff("handler_jiefanglu", "吴敏", Role.HANDLER, "370102001", "13905310306"),
    DemoStaff("handler_zhangqiu_xzsp", "徐婷", Role.HANDLER, "370114-XZSPJ", "13905310307"),
    DemoStaff("supervisor01", "孙浩", Role.SUPERVISOR, "370100-YSHJJ", "13905310401"),
    DemoStaff("specialist01", "马超", Role.SPECIALIST, "370100-GXJ", "13905310501"),
    DemoStaff("specialist_lixia", "朱琳", Role.SPECIALIST, "370102", "13905310502"),
    DemoStaff("policy_editor01", "胡军", Role.POLICY_EDITOR, "370100-KJJ", "13905310601"),
    DemoStaff("policy_editor02", "郭勇", Role.POLICY_EDITOR, "370100-GXJ", "13905310602"),
    DemoStaff("policy_reviewer01", "何倩", Role.POLICY_REVIEWER, "370100-KJJ", "13905310701"),
    DemoStaff("policy_reviewer02", "高峰", Role.POLICY_REVIEWER, "370100-GXJ", "13905310702"),
    DemoStaff("leader01", "林国栋", Role.LEADER, None, "13905310801"),
    DemoStaff("leader_lixia", "罗建华", Role.LEADER, "370102", "13905310802"),
    DemoStaff("sysadmin", "张伟", Role.SYSTEM_ADMIN, "370100-DSJ", "13905310901"),
    DemoStaff("secadmin", "郑雪", Role.SECURITY_ADMIN, "370100-DSJ", "13905310902"),
    DemoStaff("auditadmin", "韩梅", Role.AUDIT_ADMIN, "370100-DSJ", "13905310903"),
]


@dataclass(frozen=True)
class DemoEnterpriseUser:
    username: str
    full_name: str
    phone: str
    capacity: str
    enterprise_count: int  # how many demo enterprises it acts for


DEMO_ENTERPRISE_USERS: list[DemoEnterpriseUser] = [
    DemoEnterpriseUser(
        "ent_legal01", "宋志远", "13806410001", EnterpriseMembership.Capacity.LEGAL_REPRESENTATIVE, 1
    ),
    DemoEnterpriseUser("ent_contact01", "秦海燕", "13806410002", EnterpriseMembership.Capacity.CONTACT, 2),
    DemoEnterpriseUser("ent_contact02", "冯立新", "13806410003", EnterpriseMembership.Capacity.CONTACT, 1),
]


@dataclass
class DemoResult:
    departments_created: int = 0
    departments_total: int = 0
    users_created: int = 0
    enterprises_imported: dict[str, Any] = field(default_factory=dict)
    accounts: list[User] = field(default_factory=list)
    seconds: float = 0.0
    policies_summary: str = ""  # the demo policy library (huiqi.policies.demo)
    appeals_summary: str = ""  # the demo appeals (huiqi.appeals.demo)
    search_summary: str = ""  # policy search's token cache, warmed (huiqi.policies.services)


def _ensure_department(
    result: DemoResult,
    *,
    code: str,
    name: str,
    level: str,
    parent: Department | None,
    region_code: str,
    short_name: str,
    sort_order: int,
) -> Department:
    existing = Department.objects.filter(code=code).first()
    result.departments_total += 1
    if existing is not None:
        return existing
    result.departments_created += 1
    return services.create_department(
        actor=None,
        code=code,
        name=name,
        level=level,
        parent=parent,
        region_code=region_code,
        short_name=short_name,
        sort_order=sort_order,
    )


def load_departments(result: DemoResult) -> None:
    for i, (abbr, name, short) in enumerate(CITY_DEPARTMENTS):
        _ensure_department(
            result,
            code=f"{CITY_REGION}-{abbr}",
            name=name,
            level=DepartmentLevel.CITY,
            parent=None,
            region_code=CITY_REGION,
            short_name=short,
            sort_order=10 + i,
        )
    for d, (region, district_name, towns) in enumerate(DISTRICTS):
        district = _ensure_department(
            result,
            code=region,
            name=f"{CITY_NAME}{district_name}人民政府",
            level=DepartmentLevel.DISTRICT,
            parent=None,
            region_code=region,
            short_name=district_name,
            sort_order=100 + d * 100,
        )
        for b, (abbr, suffix, short_suffix) in enumerate(DISTRICT_BUREAUS):
            name = (
                f"国家税务总局{CITY_NAME}{district_name}税务局"
                if abbr == "SWUJ"
                else f"{CITY_NAME}{district_name}{suffix}"
            )
            _ensure_department(
                result,
                code=f"{region}-{abbr}",
                name=name,
                level=DepartmentLevel.DISTRICT,
                parent=district,
                region_code=region,
                short_name=f"{district_name[:-1]}{short_suffix}",
                sort_order=100 + d * 100 + 1 + b,
            )
        for t, town in enumerate(towns):
            _ensure_department(
                result,
                code=f"{region}{t + 1:03d}",
                name=f"{district_name}{town}",
                level=DepartmentLevel.TOWN,
                parent=district,
                region_code=region,
                short_name=town,
                sort_order=100 + d * 100 + 20 + t,
            )


def load_staff(result: DemoResult, *, password: str) -> None:
    for staff in DEMO_STAFF:
        user = User.objects.filter(username=staff.username).first()
        if user is None:
            department = Department.objects.get(code=staff.department) if staff.department else None
            user = services.create_staff_user(
                actor=None,
                username=staff.username,
                password=password,
                role=staff.role,
                department=department,
                full_name=staff.full_name,
                phone=staff.phone,
                email=f"{staff.username}@jinan.gov.cn.example",
            )
            result.users_created += 1
        result.accounts.append(user)


def _demo_enterprises(count: int) -> list[Any]:
    """Enterprises for the demo enterprise users, chosen the same way on every run: red-list firms
    first, then high-tech firms (they use the platform most), then by USCC; active ones only."""
    enterprise_model = apps.get_model("enterprises", "Enterprise")
    active = enterprise_model.objects.filter(region_code__startswith=CITY_REGION[:4], status="active")
    chosen: list[Any] = []
    for queryset in (
        active.filter(red_list=True),
        active.filter(tags__contains="高新技术企业"),
        active,
    ):
        for enterprise in queryset.order_by("uscc")[: count * 2]:
            if enterprise not in chosen and len(chosen) < count:
                chosen.append(enterprise)
    return chosen


def load_enterprise_users(result: DemoResult, *, password: str) -> None:
    needed = sum(u.enterprise_count for u in DEMO_ENTERPRISE_USERS)
    candidates = _demo_enterprises(needed)
    if len(candidates) < needed:
        return  # no registry loaded (e.g. --enterprises 0 on an empty database)
    offset = 0
    for spec in DEMO_ENTERPRISE_USERS:
        mine = candidates[offset : offset + spec.enterprise_count]
        offset += spec.enterprise_count
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = services.create_enterprise_user(
                actor=None,
                username=spec.username,
                password=password,
                full_name=spec.full_name,
                phone=spec.phone,
                enterprises=mine,
                capacity=spec.capacity,
            )
            result.users_created += 1
        result.accounts.append(user)


def load_enterprises(
    result: DemoResult, *, count: int, seed: int, progress: Callable[[int, int], None] | None
) -> None:
    """Generates the synthetic registry as a contract file and imports it like any other file
    (so each enterprise has its creation in its history and the import batch is listed)."""
    from huiqi.enterprises import services as enterprise_services
    from huiqi.enterprises.synthetic import write_enterprises_csv

    with tempfile.TemporaryDirectory(prefix="huiqi-demo-") as folder:
        path = Path(folder) / f"demo-enterprises-{count}-{seed}.csv"
        write_enterprises_csv(path, count, seed=seed, region_prefix=CITY_REGION[:4], as_of=DEMO_AS_OF)
        imported = enterprise_services.import_enterprises(
            path=path, file_name=f"演示企业-{count}家-种子{seed}.csv", actor=None, progress=progress
        )
    result.enterprises_imported = {
        "total_rows": imported.total_rows,
        "created": imported.created,
        "updated": imported.updated,
        "unchanged": imported.unchanged,
        "rejected": imported.rejected,
    }


def load_policies(result: DemoResult) -> None:
    """The demo policy library (documents and items, published at once); unchanged items are skipped."""
    from huiqi.policies.demo import load_demo_policies

    result.policies_summary = load_demo_policies(actor=None).summary()


def load_appeals(result: DemoResult, *, count: int, seed: int) -> None:
    """The demo appeals: categories, rules, a year of appeals and the demo classifier (count 0: the
    reference data only)."""
    from huiqi.appeals.demo import load_demo_appeals

    summary = load_demo_appeals(count=count, seed=seed)
    result.appeals_summary = summary.summary()
    result.users_created += summary.users_created
    result.accounts.extend(summary.accounts)


def warm_policy_search(result: DemoResult) -> None:
    """Policy search's token cache, filled with the demo library, so that the first search of the demo
    does not segment it. Search works without the cache, so a cache that cannot be written is
    reported, not raised."""
    from huiqi.core.errors import ApplicationError
    from huiqi.policies.services import warm_policy_search as warm

    try:
        result.search_summary = warm().summary()
    except ApplicationError as error:
        result.search_summary = f"未能预热：{error.message}"


def load_demo(
    *,
    enterprise_count: int = 5000,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
    appeal_count: int = 4000,
) -> DemoResult:
    """Loads (or completes) the demo city; safe to run again."""
    started = time.monotonic()
    result = DemoResult()
    load_departments(result)
    load_staff(result, password=DEMO_PASSWORD)
    if enterprise_count > 0:
        load_enterprises(result, count=enterprise_count, seed=seed, progress=progress)
    load_enterprise_users(result, password=DEMO_PASSWORD)
    load_policies(result)
    load_appeals(result, count=appeal_count, seed=seed)
    warm_policy_search(result)
    result.seconds = time.monotonic() - started
    return result


AccountRow = tuple[str, str, str, str]


def account_rows(accounts: list[User], *, password: str = DEMO_PASSWORD) -> list[AccountRow]:
    rows: list[AccountRow] = []
    for user in accounts:
        if user.role == Role.ENTERPRISE:
            names = [m.enterprise.name for m in user.enterprise_memberships.select_related("enterprise")]
            where = "；".join(names)
        else:
            where = user.department.name if user.department else "（全市）"
        rows.append((user.username, f"{user.get_role_display()} {user.role}", where, password))
    return rows


def format_table(rows: list[AccountRow], header: AccountRow, width: Callable[[str], int]) -> str:
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: AccountRow) -> str:
        return "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
