"""The intake pages in a browser (issue 3, "Intake"): a hotline agent recognises a red-list caller, finds a
past reply and answers at once; an enterprise files an appeal with an attachment and evaluates a reply
online; a leader instructs a mayor-line appeal. Screenshots go to test-artifacts/intake-*.png."""

import re

import pytest

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.enums import ReplyStatus, TicketState
from huiqi.appeals.models import Appeal
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, UserFactory

RED_PHONE = "0531-87776666"


def _past_reply(title: str, text: str, **appeal: object) -> None:
    ticket = TicketFactory(
        state=TicketState.CLOSED, appeal__title=title, appeal__content=f"企业来电：{title}。", **appeal
    )
    ticket.replies.update(text=text, status=ReplyStatus.APPROVED)


@pytest.fixture
def city(holiday_calendar):  # type: ignore[no-untyped-def]
    power = CategoryFactory(code="ENERGY", name="水电气保障")
    CategoryFactory(code="ENERGY-POWER", name="用电报装与增容", parent=power)
    jobs = CategoryFactory(code="JOBS", name="人力社保")
    CategoryFactory(code="JOBS-SUBSIDY", name="稳岗就业补贴", parent=jobs)
    red = EnterpriseFactory(
        name="济南重点装备制造有限公司", red=True, contact_phone=RED_PHONE, size_class="medium", employees=420
    )
    head = EnterpriseUserFactory(
        enterprises=[red], full_name="刘董事长", phone="13953100001", username="liu_ceo"
    )
    _past_reply(
        "厂区用电增容报装进度",
        "经市供电公司核实，贵企业 800 千伏安增容方案已批复，现场施工将于 10 个工作日内完成，届时通电验收。",
        appeal__enterprise=red,
    )
    _past_reply(
        "稳岗补贴到账时间", "2025 年度稳岗返还实行免申即享，资金将于 6 月底前直接拨付至企业对公账户。"
    )
    _past_reply("夜间施工噪音", "城管执法部门已责令施工单位 22 时后停止高噪音作业。")
    TicketFactory(
        state=TicketState.ACCEPTED, appeal__enterprise=red, appeal__title="园区道路破损影响货车通行"
    )
    return {"red": red, "head": head, "power": power}


@pytest.mark.browser
def test_agent_recognises_a_red_list_caller_and_answers_from_a_past_reply(page, sign_in, screenshot, city):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    agent = UserFactory(role=Role.AGENT, username="agent_qian", full_name="钱坐席")
    sign_in(agent)
    page.get_by_role("link", name="热线受理").click()
    page.fill("input[name=caller_phone]", RED_PHONE)
    page.wait_for_selector(".enterprise-card >> text=红名单企业")
    assert page.locator(f"input[name=enterprise][value='{city['red'].uscc}']").is_checked()
    page.fill("input[name=caller_name]", "刘董事长")
    page.select_option("#id_kind", "consultation")
    page.select_option("#id_category", str(city["power"].pk))
    page.fill("#id_title", "新车间用电增容多久能完成")
    page.fill("#id_content", "企业新车间需要增容，想了解报装后多长时间能完成施工通电。")
    page.fill("#reply-q", "用电增容")
    page.wait_for_selector(".reply-hit mark")
    screenshot("intake-hotline")
    page.locator(".reply-hit [data-quote]").first.click()
    assert "800 千伏安" in page.input_value("#id_reply_text")
    page.get_by_role("button", name="登记并直接答复").click()
    page.wait_for_url(re.compile(r"/appeals/hotline/\?done="))
    appeal = Appeal.objects.get(title="新车间用电增容多久能完成")
    assert appeal.enterprise == city["red"]
    assert appeal.ticket.state == TicketState.CLOSED
    assert page.locator("#registered").inner_text().count(appeal.number) == 1
    screenshot("intake-hotline-done")
    assert not problems, problems


@pytest.mark.browser
def test_enterprise_files_an_appeal_evaluates_a_reply_and_a_leader_instructs(
    page, sign_in, screenshot, city, tmp_path
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    head = city["head"]
    sign_in(head)

    # 1. The portal form, with an attachment.
    page.get_by_role("link", name="提交诉求").click()
    page.select_option("#id_kind", "help")
    page.fill("#id_title", "新厂房用电增容申请一个月未办结")
    page.fill(
        "#id_content",
        "我司新厂房需将用电容量由 400 千伏安增至 800 千伏安，3 月 2 日已向供电公司提交申请，至今未安排勘查。",
    )
    scan = tmp_path / "增容申请回执.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + b"0" * 2000)
    page.set_input_files("#id_attachments", str(scan))
    screenshot("intake-enterprise-form")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/appeals/mine/QY"))
    appeal = Appeal.objects.get(title="新厂房用电增容申请一个月未办结")
    assert page.get_by_text(appeal.number).first.is_visible()

    # 2. The back office handles it (services), and the enterprise evaluates the reply online.
    department = DepartmentFactory(name="市工业和信息化局")
    dispatcher = UserFactory(role=Role.DISPATCHER)
    handler = UserFactory(role=Role.HANDLER, department=department)
    ticket = appeal.ticket
    ticket = services.dispatch_ticket(
        actor=dispatcher, ticket=ticket, expected_version=ticket.version, lead_department=department
    )
    ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
    ticket = services.submit_reply(
        actor=handler,
        ticket=ticket,
        expected_version=ticket.version,
        text="经协调，市供电公司已于 3 月 28 日完成现场勘查，增容工程排入 4 月计划，预计 4 月 20 日前送电。",
    )
    services.approve_reply(actor=dispatcher, ticket=ticket, expected_version=ticket.version)
    page.goto(f"/appeals/mine/{appeal.number}/")
    page.wait_for_selector("#follow-up")
    screenshot("intake-enterprise-detail")
    page.locator("label[for=id_is_resolved_0]").click()
    page.locator("label[for=id_satisfaction_0]").click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("text=感谢您的评价，诉求已办结。")
    appeal.ticket.refresh_from_db()
    assert appeal.ticket.state == TicketState.CLOSED

    # 3. The mayor line: the red-list enterprise submits, a leader instructs.
    page.locator("nav.navbar").get_by_role("link", name="我的诉求").click()
    screenshot("intake-my-appeals")
    page.locator("main").get_by_role("link", name="市长直通车").click()
    page.fill("#id_title", "新建生产线环评与用地审批卡在跨部门环节")
    page.fill(
        "#id_content",
        "项目总投资 3.2 亿元，环评已受理两个月，用地预审需环评结论，两个部门互为前置，请市领导协调。",
    )
    page.get_by_role("button", name="提交市领导").click()
    page.wait_for_url(re.compile(r"/appeals/mine/QY"))
    mayor = Appeal.objects.get(channel="mayor_line")
    page.context.clear_cookies()
    leader = UserFactory(role=Role.LEADER, department=None, username="mayor_zhou", full_name="周市长")
    sign_in(leader)
    page.get_by_role("link", name="市长直通车").click()
    page.wait_for_selector(f"#ticket-{mayor.ticket.pk}")
    page.fill(
        f"#ticket-{mayor.ticket.pk} textarea[name=instruction]",
        "请市生态环境局、市自然资源局并联审批，两周内办结。",
    )
    page.select_option(f"#ticket-{mayor.ticket.pk} select[name=priority]", "urgent")
    screenshot("intake-leader-queue")
    page.get_by_role("button", name="批示并转派单").click()
    page.wait_for_selector("text=没有待批示的直通车诉求")
    mayor.refresh_from_db()
    assert mayor.priority == "urgent"
    assert mayor.ticket.state == TicketState.AWAITING_DISPATCH
    screenshot("intake-leader-queue-done")
    assert not problems, problems
