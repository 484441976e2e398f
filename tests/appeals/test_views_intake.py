"""The intake pages: the hotline agent's page, the enterprise portal, the mayor line and the leaders' queue,
and the search of past replies behind the hotline page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huiqi.accounts.enums import Role
from huiqi.appeals import reply_search
from huiqi.appeals.enums import (
    Channel,
    Closure,
    FollowUpMethod,
    Priority,
    ReplyStatus,
    Satisfaction,
    TicketState,
)
from huiqi.appeals.models import Appeal, FollowUp, Reply, Ticket
from huiqi.appeals.services import submit_mayor_line_appeal
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.navigation import items_for
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

RED_PHONE = "0531-87776666"
RED_PHONE_MASKED = "0531-****6666"


@pytest.fixture(autouse=True)
def _fresh_reply_corpus():
    """The reply search caches its corpus per process; each test starts from its own database."""
    reply_search.forget_corpus()
    yield
    reply_search.forget_corpus()


def _hotline_post(**fields):
    data = {"kind": "consultation", "content": "想了解今年稳岗补贴怎么申领。", "action": "register"}
    data.update(fields)
    return data


def _pdf(name="营业执照.pdf", size=2048):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * (size - 9), content_type="application/pdf")


# --- the hotline page: recognising the caller ------------------------------------------------------------


def test_agent_recognises_red_list_caller_by_registered_phone_with_full_number(client, agent, red_enterprise):
    earlier = TicketFactory(appeal__enterprise=red_enterprise, appeal__title="厂区道路积水影响出货").appeal
    client.force_login(agent)
    response = client.get(reverse("appeals:hotline_caller"), {"caller_phone": "053187776666"})
    page = response.content.decode()
    assert response.status_code == 200
    assert red_enterprise.name in page
    assert red_enterprise.uscc in page
    assert "红名单企业" in page
    assert RED_PHONE in page  # the agent calls back: full number
    assert earlier.number in page
    assert "厂区道路积水影响出货" in page
    assert f'value="{red_enterprise.uscc}"' in page
    assert "checked" in page


def test_dispatcher_on_the_hotline_sees_registry_phones_masked(client, dispatcher, red_enterprise):
    contact = EnterpriseUserFactory(enterprises=[red_enterprise], full_name="赵总", phone="13800001111")
    client.force_login(dispatcher)
    page = client.get(reverse("appeals:hotline_caller"), {"caller_phone": RED_PHONE}).content.decode()
    assert red_enterprise.name in page
    assert RED_PHONE_MASKED in page
    assert RED_PHONE not in page
    assert contact.full_name in page
    assert "138****1111" in page
    assert "13800001111" not in page


def test_page_opened_with_the_callers_number_shows_the_enterprise_at_once(client, agent, red_enterprise):
    client.force_login(agent)
    page = client.get(reverse("appeals:hotline"), {"phone": RED_PHONE}).content.decode()
    assert red_enterprise.name in page
    assert "红名单企业" in page


def test_number_shared_by_two_enterprises_asks_the_agent_to_choose(client, agent):
    first = EnterpriseFactory(name="甲公司", contact_phone="0531-81112222")
    second = EnterpriseFactory(name="乙公司", contact_phone="0531-81112222")
    client.force_login(agent)
    page = client.get(reverse("appeals:hotline_caller"), {"caller_phone": "0531-81112222"}).content.decode()
    assert first.name in page
    assert second.name in page
    assert "请向来电人确认是哪一家" in page
    assert 'id="enterprise-none" checked' in page  # nobody is chosen for the agent


def test_unknown_number_offers_the_registry_search(client, agent):
    wanted = EnterpriseFactory(name="济南泉城食品有限公司")
    client.force_login(agent)
    page = client.get(reverse("appeals:hotline_caller"), {"caller_phone": "13700009999"}).content.decode()
    assert "不是任何企业的登记联系电话" in page
    found = client.get(reverse("appeals:hotline_enterprises"), {"q": "泉城食品"}).content.decode()
    assert wanted.name in found
    assert wanted.uscc in found


@pytest.mark.parametrize("role", [Role.HANDLER, Role.ENTERPRISE, Role.LEADER])
def test_hotline_page_is_refused_to_other_roles(client, role, department):
    user = (
        EnterpriseUserFactory() if role == Role.ENTERPRISE else UserFactory(role=role, department=department)
    )
    client.force_login(user)
    assert client.get(reverse("appeals:hotline")).status_code == 403
    assert client.get(reverse("appeals:hotline_caller"), {"caller_phone": RED_PHONE}).status_code == 403


# --- the hotline page: registering and answering ----------------------------------------------------------


def test_agent_registers_an_appeal_and_sees_its_number_and_ticket_link(client, agent, red_enterprise):
    category = CategoryFactory(name="社保就业")
    client.force_login(agent)
    response = client.post(
        reverse("appeals:hotline"),
        _hotline_post(
            caller_phone=RED_PHONE,
            caller_name="王经理",
            enterprise=red_enterprise.uscc,
            category=str(category.pk),
            title="稳岗补贴申领",
        ),
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert appeal.channel == Channel.HOTLINE
    assert appeal.enterprise == red_enterprise
    assert appeal.category == category
    assert appeal.priority == Priority.HIGH  # red list goes first
    assert appeal.registered_by == agent
    assert appeal.ticket.state == TicketState.AWAITING_DISPATCH
    page = client.get(response["Location"]).content.decode()
    assert appeal.number in page
    assert f"/appeals/tickets/{appeal.ticket.pk}/" in page


def test_direct_reply_at_intake_closes_the_ticket_without_dispatch(client, agent, enterprise):
    client.force_login(agent)
    response = client.post(
        reverse("appeals:hotline"),
        _hotline_post(
            enterprise=enterprise.uscc,
            action="direct_reply",
            reply_text="稳岗补贴免申即享，符合条件的企业无需申请，资金直接拨付到企业账户。",
        ),
    )
    assert response.status_code == 302
    ticket = Ticket.objects.select_related("appeal").get()
    assert ticket.state == TicketState.CLOSED
    assert ticket.closure == Closure.DIRECT_REPLY
    assert ticket.lead_department is None
    assert ticket.dispatched_at is None
    assert ticket.appeal.is_direct_reply
    reply = ticket.replies.get()
    assert reply.status == ReplyStatus.DIRECT
    assert "免申即享" in reply.text
    assert "已办结" in client.get(response["Location"]).content.decode()


def test_direct_reply_without_text_registers_nothing(client, agent):
    client.force_login(agent)
    response = client.post(reverse("appeals:hotline"), _hotline_post(action="direct_reply", reply_text="  "))
    assert response.status_code == 200
    assert "直接答复需要填写答复内容" in response.content.decode()
    assert not Appeal.objects.exists()


def test_missing_content_is_shown_next_to_the_field(client, agent):
    client.force_login(agent)
    response = client.post(reverse("appeals:hotline"), _hotline_post(content=""))
    assert "请填写诉求内容" in response.content.decode()
    assert not Appeal.objects.exists()


# --- past replies -----------------------------------------------------------------------------------------


def _answered(title, reply_text, *, content="企业来电咨询。", status=ReplyStatus.APPROVED, **appeal):
    ticket = TicketFactory(state=TicketState.CLOSED, appeal__title=title, appeal__content=content, **appeal)
    ticket.replies.update(text=reply_text, status=status)
    return ticket


def test_reply_search_finds_a_past_reply_by_a_chinese_word(agent):
    wanted = _answered("厂房用电增容申请进度", "供电公司已受理用电增容申请，现场勘查后十个工作日内完成扩容。")
    _answered("招聘补贴咨询", "招用高校毕业生可按每人一千元申领一次性扩岗补助。")
    _answered("道路施工噪音投诉", "城管部门已责令施工单位夜间停止作业。")
    hits = reply_search.search_past_replies(user=agent, q="增容", limit=5)
    assert [h.appeal_number for h in hits] == [wanted.appeal.number]
    assert '<mark class="px-0">增容</mark>' in hits[0].snippet


def test_reply_search_ranks_replies_matching_every_word_first(agent):
    both = _answered("稳岗补贴到账时间", "稳岗补贴将于下月底前拨付到企业账户。")
    one = _answered("社保补贴政策", "社保补贴按季度申领，请登录人社网上服务大厅办理。")
    hits = reply_search.search_past_replies(user=agent, q="稳岗补贴什么时候到账", limit=5)
    numbers = [h.appeal_number for h in hits]
    assert numbers[0] == both.appeal.number
    assert one.appeal.number not in numbers[:1]


def test_reply_search_ignores_replies_not_yet_approved_and_escapes_text(agent):
    _answered("用电增容", "待审核的答复 增容", status=ReplyStatus.PENDING_REVIEW)
    shown = _answered("<b>增容</b>", "增容<script>x</script>")
    hits = reply_search.search_past_replies(user=agent, q="增容")
    assert [h.appeal_number for h in hits] == [shown.appeal.number]
    assert "<script>" not in hits[0].snippet
    assert "&lt;script&gt;" in hits[0].snippet
    assert "<b>" not in hits[0].title


def test_reply_search_sees_a_reply_approved_after_the_corpus_was_read(agent):
    ticket = TicketFactory(state=TicketState.REPLY_REVIEW, appeal__title="出口退税进度")
    ticket.replies.update(text="出口退税已于本周审核通过。")
    assert reply_search.search_past_replies(user=agent, q="出口退税") == []
    Reply.objects.filter(ticket=ticket).update(status=ReplyStatus.APPROVED)
    _answered("其他", "新增的一条答复")  # a new reply moves the corpus stamp
    assert [h.appeal_number for h in reply_search.search_past_replies(user=agent, q="出口退税")] == [
        ticket.appeal.number
    ]


def test_reply_search_keeps_to_the_users_scope(department, other_department):
    theirs = _answered("用电增容", "已协调增容。", lead_department=other_department)
    handler = UserFactory(role=Role.HANDLER, department=department)
    assert reply_search.search_past_replies(user=handler, q="增容") == []
    with pytest.raises(PermissionDeniedError):
        reply_search.search_past_replies(user=EnterpriseUserFactory(), q="增容")
    assert theirs.lead_department == other_department


def test_hotline_reply_search_page_lists_hits_with_a_quote_button(client, agent):
    ticket = _answered("用电增容", "供电公司已完成增容。")
    client.force_login(agent)
    page = client.get(reverse("appeals:hotline_replies"), {"q": "增容"}).content.decode()
    assert ticket.appeal.number in page
    assert 'data-quote="供电公司已完成增容。"' in page
    assert "没有找到" in client.get(reverse("appeals:hotline_replies"), {"q": "火箭发射"}).content.decode()


# --- the enterprise portal --------------------------------------------------------------------------------


def test_enterprise_sees_only_its_own_appeals(client, enterprise, enterprise_user):
    own = TicketFactory(appeal__enterprise=enterprise, appeal__title="本企业的诉求").appeal
    other = TicketFactory(appeal__title="别家企业的诉求").appeal
    client.force_login(enterprise_user)
    page = client.get(reverse("appeals:my_appeals")).content.decode()
    assert own.number in page
    assert "本企业的诉求" in page
    assert other.number not in page
    assert "别家企业的诉求" not in page
    assert client.get(reverse("appeals:my_appeal", args=[own.number])).status_code == 200
    response = client.get(reverse("appeals:my_appeal", args=[other.number]))
    assert response.status_code == 404
    assert "别家企业的诉求" not in response.content.decode()


def test_staff_are_sent_from_the_enterprise_page_to_the_ticket(client, agent):
    ticket = TicketFactory()
    client.force_login(agent)
    response = client.get(reverse("appeals:my_appeal", args=[ticket.appeal.number]))
    assert response.status_code == 302
    assert response["Location"] == f"/appeals/tickets/{ticket.pk}/"


def test_enterprise_submits_an_appeal_with_attachments(client, enterprise, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("appeals:new_appeal"),
        {
            "enterprise": enterprise.uscc,
            "kind": "help",
            "title": "新厂房用电增容",
            "content": "新厂房需增容至 800 千伏安，申请一个月未办结。",
            "attachments": [_pdf(), _pdf("现场照片.jpg", 4096)],
        },
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:my_appeal", args=[appeal.number])
    assert appeal.channel == Channel.WEB
    assert appeal.enterprise == enterprise
    assert sorted(a.name for a in appeal.attachments.all()) == ["现场照片.jpg", "营业执照.pdf"]
    page = client.get(response["Location"]).content.decode()
    assert appeal.number in page
    assert "诉求已受理" in page
    assert "现场照片.jpg" in page


def test_user_of_two_enterprises_chooses_which_one_files(client):
    first, second = EnterpriseFactory(name="甲制造有限公司"), EnterpriseFactory(name="乙贸易有限公司")
    user = EnterpriseUserFactory(enterprises=[first, second])
    client.force_login(user)
    fields = {"kind": "consultation", "title": "出口退税", "content": "出口退税多久到账？"}
    response = client.post(reverse("appeals:new_appeal"), fields)
    assert "请选择代表哪家企业提交" in response.content.decode()
    assert not Appeal.objects.exists()
    client.post(reverse("appeals:new_appeal"), {**fields, "enterprise": second.uscc})
    assert Appeal.objects.get().enterprise == second


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("tool.exe", b"MZ" * 10), "类型（.exe）不允许上传"),
        (lambda: SimpleUploadedFile("空白.pdf", b""), "是空文件"),
        (lambda: _pdf("大文件.pdf", 4096), "超过"),
    ],
)
def test_bad_attachments_are_refused_with_a_clear_message_and_nothing_is_stored(
    client, enterprise_user, settings, upload, message
):
    settings.HUIQI_APPEAL_ATTACHMENT_MAX_BYTES = 3000
    client.force_login(enterprise_user)
    response = client.post(
        reverse("appeals:new_appeal"),
        {
            "kind": "help",
            "title": "附件测试",
            "content": "内容",
            "attachments": [_pdf("正常.pdf", 100), upload()],
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Appeal.objects.exists()


def test_too_many_attachments_are_refused(client, enterprise_user, settings):
    settings.HUIQI_APPEAL_ATTACHMENT_MAX_COUNT = 2
    client.force_login(enterprise_user)
    files = [_pdf(f"材料{i}.pdf", 100) for i in range(3)]
    response = client.post(
        reverse("appeals:new_appeal"), {"kind": "help", "title": "t", "content": "c", "attachments": files}
    )
    assert "最多上传 2 个附件，收到 3 个" in response.content.decode()
    assert not Appeal.objects.exists()


def test_enterprise_evaluates_a_reply_online_and_the_ticket_closes(client, enterprise, enterprise_user):
    ticket = TicketFactory(state=TicketState.REPLIED, appeal__enterprise=enterprise)
    client.force_login(enterprise_user)
    url = reverse("appeals:my_appeal", args=[ticket.appeal.number])
    page = client.get(url).content.decode()
    assert "请评价本次办理" in page
    assert "供电公司已安排现场勘查" in page
    response = client.post(
        url, {"version": ticket.version, "is_resolved": "1", "satisfaction": "satisfied", "comment": "办得快"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert ticket.closure == Closure.FOLLOWED_UP
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert follow_up.method == FollowUpMethod.ONLINE
    assert follow_up.satisfaction == Satisfaction.SATISFIED
    assert follow_up.is_resolved
    assert follow_up.recorded_by == enterprise_user
    assert "请评价本次办理" not in client.get(url).content.decode()


def test_dissatisfied_evaluation_needs_a_reason_then_reopens(client, enterprise, enterprise_user):
    ticket = TicketFactory(state=TicketState.REPLIED, appeal__enterprise=enterprise)
    client.force_login(enterprise_user)
    url = reverse("appeals:my_appeal", args=[ticket.appeal.number])
    fields = {"version": ticket.version, "is_resolved": "0", "satisfaction": "dissatisfied"}
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "请说明原因" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.REPLIED
    client.post(url, {**fields, "comment": "增容仍未完成"})
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.reopen_count == 1
    assert "重新办理" in client.get(url).content.decode()


def test_evaluation_on_a_stale_page_is_refused_with_the_conflict(client, enterprise, enterprise_user):
    ticket = TicketFactory(state=TicketState.REPLIED, appeal__enterprise=enterprise)
    client.force_login(enterprise_user)
    url = reverse("appeals:my_appeal", args=[ticket.appeal.number])
    response = client.post(
        url,
        {"version": ticket.version - 1 or 99, "is_resolved": "1", "satisfaction": "satisfied"},
        follow=True,
    )
    assert "已被他人修改，请刷新后重新操作" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_no_evaluation_form_while_the_appeal_is_being_handled(client, enterprise, enterprise_user):
    ticket = TicketFactory(state=TicketState.ACCEPTED, appeal__enterprise=enterprise)
    client.force_login(enterprise_user)
    page = client.get(reverse("appeals:my_appeal", args=[ticket.appeal.number])).content.decode()
    assert "请评价本次办理" not in page
    assert "办理中" in page


# --- the mayor line ---------------------------------------------------------------------------------------


def test_mayor_line_is_explained_not_offered_to_a_non_red_list_enterprise(client, enterprise_user):
    client.force_login(enterprise_user)
    assert "市长直通车" not in client.get(reverse("appeals:my_appeals")).content.decode()
    page = client.get(reverse("appeals:mayor_line_new")).content.decode()
    assert "仅面向红名单重点企业" in page
    assert "提交诉求" in page
    response = client.post(
        reverse("appeals:mayor_line_new"), {"kind": "help", "title": "直通车", "content": "内容"}
    )
    assert response.status_code == 403
    assert not Appeal.objects.exists()


def test_red_list_enterprise_submits_to_the_leaders_queue(client, red_enterprise, leader):
    head = EnterpriseUserFactory(enterprises=[red_enterprise], full_name="刘董事长")
    client.force_login(head)
    assert "市长直通车" in client.get(reverse("appeals:my_appeals")).content.decode()
    response = client.post(
        reverse("appeals:mayor_line_new"),
        {
            "enterprise": red_enterprise.uscc,
            "kind": "help",
            "title": "新建生产线环评审批卡在跨部门环节",
            "content": "项目已等待两个月，涉及生态环境、自然资源两个部门。",
        },
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert appeal.channel == Channel.MAYOR_LINE
    assert appeal.enterprise == red_enterprise
    assert appeal.ticket.state == TicketState.AWAITING_INSTRUCTION
    client.force_login(leader)
    page = client.get(reverse("appeals:mayor_line")).content.decode()
    assert appeal.number in page
    assert red_enterprise.name in page
    assert "红名单企业" in page
    assert RED_PHONE_MASKED in page
    assert RED_PHONE not in page


def test_leader_instruction_raises_priority_and_sends_the_appeal_to_dispatch(client, red_enterprise, leader):
    head = EnterpriseUserFactory(enterprises=[red_enterprise])
    appeal = submit_mayor_line_appeal(actor=head, title="用地指标", content="项目用地指标迟迟未落实。")
    ticket = appeal.ticket
    client.force_login(leader)
    response = client.post(
        reverse("appeals:mayor_line_instruct", args=[ticket.pk]),
        {
            "version": ticket.version,
            "instruction": "请市自然资源局牵头，一周内拿出方案。",
            "priority": "urgent",
        },
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.AWAITING_DISPATCH
    assert appeal.priority == Priority.URGENT
    assert appeal.leader_instruction == "请市自然资源局牵头，一周内拿出方案。"
    assert appeal.instructed_by == leader
    page = client.get(reverse("appeals:mayor_line")).content.decode()
    assert "没有待批示的直通车诉求" in page
    assert "最近批示" in page
    assert appeal.number in page


def test_leader_instruction_needs_text(client, red_enterprise, leader):
    appeal = submit_mayor_line_appeal(
        actor=EnterpriseUserFactory(enterprises=[red_enterprise]), title="t", content="c"
    )
    client.force_login(leader)
    response = client.post(
        reverse("appeals:mayor_line_instruct", args=[appeal.ticket.pk]),
        {"version": appeal.ticket.version, "instruction": "", "priority": "high"},
    )
    assert response.status_code == 400
    assert "请填写批示内容" in response.content.decode()
    appeal.ticket.refresh_from_db()
    assert appeal.ticket.state == TicketState.AWAITING_INSTRUCTION


def test_leader_queue_is_for_leaders(client, agent):
    client.force_login(agent)
    assert client.get(reverse("appeals:mayor_line")).status_code == 403


# --- the menu ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "labels"),
    [
        (Role.AGENT, {"热线受理"}),
        (Role.ENTERPRISE, {"我的诉求", "提交诉求"}),
        (Role.LEADER, {"市长直通车"}),
    ],
)
def test_menu_offers_the_intake_pages_by_role(role, labels):
    user = EnterpriseUserFactory() if role == Role.ENTERPRISE else UserFactory(role=role, department=None)
    menu = {item["label"] for item in items_for(user)}
    assert labels <= menu
    assert not ({"热线受理", "我的诉求", "提交诉求", "市长直通车"} - labels) & menu
