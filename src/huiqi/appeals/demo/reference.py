"""The demo's reference data: the two-level category tree, the time-limit rules, the routing rules to
the demo city's departments (accounts.demo), and the extra handler accounts those departments need.

Written for the project (济南市 departments as accounts.demo names them); administrators change all
of it in the admin afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from huiqi.appeals.enums import Kind, Priority, TimeLimitUnit

# (code, name, [(code, name), ...]): first-level categories and their second-level ones.
CATEGORIES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("ZCZX", "政策咨询", [("ZCZX-SB", "政策申报"), ("ZCZX-DX", "资金兑现"), ("ZCZX-RC", "人才政策")]),
    ("SF", "税费", [("SF-TS", "退税留抵"), ("SF-FP", "发票办理"), ("SF-YH", "税收优惠")]),
    ("SB", "社保", [("SB-JF", "社保缴费"), ("SB-WG", "稳岗返还"), ("SB-GS", "工伤认定")]),
    ("YG", "用工", [("YG-ZP", "招聘用工"), ("YG-JF", "劳动纠纷"), ("YG-PX", "职业培训")]),
    ("RZ", "融资", [("RZ-DK", "银行贷款"), ("RZ-DB", "融资担保")]),
    ("SCJG", "市场监管", [("SCJG-DJ", "登记注册"), ("SCJG-JC", "执法检查"), ("SCJG-XK", "经营许可")]),
    ("ZSCQ", "知识产权", [("ZSCQ-ZL", "专利商标"), ("ZSCQ-QQ", "侵权维权")]),
    ("YDGH", "用地规划", [("YDGH-TD", "土地供应"), ("YDGH-GH", "规划许可")]),
    ("JSSP", "建设审批", [("JSSP-SG", "施工许可"), ("JSSP-YS", "竣工验收")]),
    ("HB", "环保", [("HB-HP", "环评审批"), ("HB-ZF", "环保执法")]),
    ("SDQ", "水电气", [("SDQ-YD", "用电报装"), ("SDQ-GS", "供水供气"), ("SDQ-TD", "停电停气")]),
    ("JTWL", "交通物流", [("JTWL-HY", "货车通行"), ("JTWL-DL", "道路施工")]),
    ("SQSF", "涉企收费", [("SQSF-LS", "违规收费"), ("SQSF-ZJ", "中介服务")]),
    ("YSHJ", "营商环境投诉", [("YSHJ-XL", "政务服务效率"), ("YSHJ-QK", "拖欠账款"), ("YSHJ-ZF", "执法不当")]),
]


@dataclass(frozen=True)
class TimeLimitSpec:
    order: int
    name: str
    limit: str
    unit: str
    kind: str = ""
    category: str = ""
    priority: str = ""


# The 12345 habits: consultations in 3 working days, the default 5 (time_limits.DEFAULT_LIMITS),
# complaints 7, matters needing site work or several bureaus 10, urgent matters in working hours.
TIME_LIMITS: list[TimeLimitSpec] = [
    TimeLimitSpec(10, "紧急诉求 8 个工作小时", "8", TimeLimitUnit.WORKING_HOURS, priority=Priority.URGENT),
    TimeLimitSpec(20, "咨询 3 个工作日", "3", TimeLimitUnit.WORKING_DAYS, kind=Kind.CONSULTATION),
    TimeLimitSpec(30, "拖欠账款 10 个工作日", "10", TimeLimitUnit.WORKING_DAYS, category="YSHJ-QK"),
    TimeLimitSpec(40, "用地规划 10 个工作日", "10", TimeLimitUnit.WORKING_DAYS, category="YDGH"),
    TimeLimitSpec(50, "建设审批 10 个工作日", "10", TimeLimitUnit.WORKING_DAYS, category="JSSP"),
    TimeLimitSpec(60, "投诉 7 个工作日", "7", TimeLimitUnit.WORKING_DAYS, kind=Kind.COMPLAINT),
    TimeLimitSpec(70, "红名单企业 3 个工作日", "3", TimeLimitUnit.WORKING_DAYS, priority=Priority.HIGH),
]


@dataclass(frozen=True)
class RouteSpec:
    order: int
    name: str
    category: str
    lead: str  # department code
    assisting: tuple[str, ...] = ()
    region_prefix: str = ""
    red_list: bool | None = None
    size_class: str = ""
    industry_prefix: str = ""


C = "370100-"
# Ordered, first match wins: the district and enterprise-specific rules come before the city-wide ones.
ROUTES: list[RouteSpec] = [
    RouteSpec(10, "历下区企业登记由区市场监管局办理", "SCJG-DJ", "370102-SCJGJ", region_prefix="370102"),
    RouteSpec(20, "章丘区建设审批由区行政审批局办理", "JSSP", "370114-XZSPJ", region_prefix="370114"),
    RouteSpec(30, "红名单企业融资诉求（营商环境局协办）", "RZ", C + "JRJ", (C + "YSHJJ",), red_list=True),
    RouteSpec(40, "制造业企业用电报装（工信局协办）", "SDQ-YD", C + "FGW", (C + "GXJ",), industry_prefix="C"),
    RouteSpec(100, "政策申报", "ZCZX-SB", C + "GXJ", (C + "KJJ",)),
    RouteSpec(110, "资金兑现", "ZCZX-DX", C + "CZJ", (C + "GXJ",)),
    RouteSpec(120, "人才政策", "ZCZX-RC", C + "RSJ"),
    RouteSpec(130, "税费", "SF", C + "SWUJ"),
    RouteSpec(140, "社保", "SB", C + "RSJ"),
    RouteSpec(150, "用工", "YG", C + "RSJ"),
    RouteSpec(160, "融资", "RZ", C + "JRJ"),
    RouteSpec(170, "市场监管", "SCJG", C + "SCJGJ"),
    RouteSpec(180, "知识产权", "ZSCQ", C + "SCJGJ"),
    RouteSpec(190, "用地规划", "YDGH", C + "ZRZYJ"),
    RouteSpec(200, "施工许可", "JSSP-SG", C + "XZSPJ", (C + "ZJJ",)),
    RouteSpec(210, "竣工验收", "JSSP", C + "ZJJ"),
    RouteSpec(220, "环保", "HB", C + "STHJJ"),
    RouteSpec(230, "用电报装", "SDQ-YD", C + "FGW"),
    RouteSpec(240, "供水供气", "SDQ-GS", C + "SWJU", (C + "CGJ",)),
    RouteSpec(250, "停电停气", "SDQ-TD", C + "FGW"),
    RouteSpec(260, "交通物流", "JTWL", C + "JTJ"),
    RouteSpec(270, "涉企收费", "SQSF", C + "SCJGJ", (C + "FGW",)),
    RouteSpec(280, "拖欠账款（国资委协办）", "YSHJ-QK", C + "YSHJJ", (C + "GZW",)),
    RouteSpec(290, "营商环境投诉", "YSHJ", C + "YSHJJ"),
]

# (username, full name, department code, phone): handlers of the departments routes lead to that
# accounts.demo has no handler for, so that every demo ticket has someone who accepts it.
EXTRA_HANDLERS: list[tuple[str, str, str, str]] = [
    ("handler_gxj", "邵明", C + "GXJ", "13905310311"),
    ("handler_czj", "魏红", C + "CZJ", "13905310312"),
    ("handler_swuj", "田野", C + "SWUJ", "13905310313"),
    ("handler_jrj", "潘越", C + "JRJ", "13905310314"),
    ("handler_zrzyj", "董宁", C + "ZRZYJ", "13905310315"),
    ("handler_zjj", "袁博", C + "ZJJ", "13905310316"),
    ("handler_xzspj", "蒋欣", C + "XZSPJ", "13905310317"),
    ("handler_sthjj", "蔡雯", C + "STHJJ", "13905310318"),
    ("handler_swju", "姜涛", C + "SWJU", "13905310319"),
    ("handler_jtj", "贾亮", C + "JTJ", "13905310320"),
    ("handler_yshjj", "夏雪", C + "YSHJJ", "13905310321"),
]

#: The 12345 platform's system account (appeals.api docstring): pushes appeals through the API.
PLATFORM_USERNAME = "12345-platform"
PLATFORM_FULL_NAME = "12345政务服务便民热线平台（系统账号）"
PLATFORM_DEPARTMENT = C + "RXZX"
