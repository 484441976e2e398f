"""The ticket pages: each role's queue, the ticket page (who sees it, which action forms, masking), and
the action endpoint (only allowed actions, conflicts keep the user's input)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.enums import Priority, TicketState
from huiqi.appeals.models import Supervision, Ticket
from huiqi.core.masking import mask_phone
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db
S = TicketState


def detail_url(ticket: Ticket) -> str:
    return reverse("appeals:ticket_detail", args=[ticket.pk])


def action_url(ticket: Ticket, action: str) -> str:
    return reverse("appeals:ticket_action", args=[ticket.pk, action])


def signed_in(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def action_forms(html: str) -> set[str]:
    return set(re.findall(r'class="card mb-2 action-card" id="action-([a-z_]+)"', html))


# --- who sees a ticket -------------------------------------------------------------------------------


def test_handler_of_another_department_gets_not_found_for_page_and_actions(client, other_department):
    ticket = TicketFactory(state=S.DISPATCHED)
    outsider = UserFactory(role=Role.HANDLER, department=other_department)
    signed_in(client, outsider)
    assert client.get(detail_url(ticket)).status_code == 404
    response = client.post(action_url(ticket, "accept"), {"expected_version": ticket.version})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == S.DISPATCHED


def test_assisting_department_reads_the_ticket_but_gets_no_action_forms_and_cannot_act(
    client, department, handler
):
    ticket = TicketFactory(state=S.DISPATCHED)
    ticket.assisting_departments.add(department)
    signed_in(client, handler)
    response = client.get(detail_url(ticket))
    assert response.status_code == 200
    assert action_forms(response.content.decode()) == set()
    assert "本单位协办" in response.content.decode()
    refused = client.post(action_url(ticket, "accept"), {"expected_version": ticket.version})
    assert refused.status_code == 403
    ticket.refresh_from_db()
    assert ticket.state == S.DISPATCHED


def test_ticket_page_needs_sign_in(client):
    ticket = TicketFactory()
    response = client.get(detail_url(ticket))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- which forms ----------------------------------------------------------------------------------


def test_handler_of_the_lead_department_gets_accept_and_return_forms_only(client, department, handler):
    ticket = TicketFactory(state=S.DISPATCHED, lead_department=department)
    html = signed_in(client, handler).get(detail_url(ticket)).content.decode()
    assert action_forms(html) == {"accept", "return"}
    assert f'name="expected_version" value="{ticket.version}"' in html


def test_dispatcher_reviewing_a_reply_gets_approve_and_send_back_and_sees_the_reply(client, dispatcher):
    ticket = TicketFactory(state=S.REPLY_REVIEW)
    html = signed_in(client, dispatcher).get(detail_url(ticket)).content.decode()
    assert {"approve_reply", "send_back_reply", "reclassify"} <= action_forms(html)
    assert "accept" not in action_forms(html)
    assert "供电公司已安排现场勘查" in html  # the reply under review


def test_extension_forms_follow_the_pending_request(client, department, handler, dispatcher):
    without = TicketFactory(state=S.ACCEPTED, lead_department=department)
    pending = TicketFactory(state=S.ACCEPTED, lead_department=department, pending_extension=2)
    assert "request_extension" in action_forms(
        signed_in(client, handler).get(detail_url(without)).content.decode()
    )
    assert "request_extension" not in action_forms(client.get(detail_url(pending)).content.decode())
    signed_in(client, dispatcher)
    assert not {"approve_extension", "reject_extension"} & action_forms(
        client.get(detail_url(without)).content.decode()
    )
    assert {"approve_extension", "reject_extension"} <= action_forms(
        client.get(detail_url(pending)).content.decode()
    )


def test_agent_records_the_follow_up_instead_of_a_separate_reopen_form(client, agent):
    ticket = TicketFactory(state=S.REPLIED)
    html = signed_in(client, agent).get(detail_url(ticket)).content.decode()
    assert action_forms(html) == {"record_follow_up"}


def test_posting_an_action_the_role_may_not_take_is_refused_and_changes_nothing(client, department, handler):
    ticket = TicketFactory(state=S.REPLY_REVIEW, lead_department=department)
    response = signed_in(client, handler).post(
        action_url(ticket, "approve_reply"), {"expected_version": ticket.version}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == (S.REPLY_REVIEW, 1)


def test_unknown_action_is_not_found(client, dispatcher):
    ticket = TicketFactory()
    assert signed_in(client, dispatcher).post(action_url(ticket, "explode"), {}).status_code == 404


# --- acting --------------------------------------------------------------------------------------


def test_handler_accepts_then_requests_an_extension_and_the_history_shows_both_in_chinese(
    client, department, handler
):
    ticket = TicketFactory(state=S.DISPATCHED, lead_department=department)
    signed_in(client, handler)
    response = client.post(action_url(ticket, "accept"), {"expected_version": 1})
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    response = client.post(
        action_url(ticket, "request_extension"),
        {"expected_version": 2, "days": "1.5", "reason": "需协调供电公司现场勘查"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == S.ACCEPTED
    assert ticket.extensions.get().requested_days == Decimal("1.5")
    html = client.get(detail_url(ticket)).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "签收" in timeline
    assert "申请延期" in timeline
    assert "申请延期 1.5 个工作日" in timeline
    assert "需协调供电公司现场勘查" in timeline
    assert "承办人" in timeline  # the role, in Chinese


def test_reply_with_an_attachment_goes_to_review(client, department, handler, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = TicketFactory(state=S.ACCEPTED, lead_department=department)
    upload = SimpleUploadedFile("勘查报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    response = signed_in(client, handler).post(
        action_url(ticket, "submit_reply"),
        {"expected_version": ticket.version, "text": "已完成现场勘查。", "attachments": [upload]},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == S.REPLY_REVIEW
    reply = ticket.replies.get()
    assert [a.name for a in reply.attachments.all()] == ["勘查报告.pdf"]


def test_a_refused_field_is_shown_on_its_form_with_the_text_kept(client, department, handler):
    ticket = TicketFactory(state=S.ACCEPTED, lead_department=department)
    response = signed_in(client, handler).post(
        action_url(ticket, "request_extension"),
        {"expected_version": ticket.version, "days": "99", "reason": "等待省厅批复"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "一次最多" in html  # transition_fields: the service's limit, on the field
    assert "等待省厅批复" in html
    ticket.refresh_from_db()
    assert ticket.extensions.count() == 0


def test_dispatch_from_the_queue_returns_to_the_queue(client, dispatcher, department, other_department):
    category = CategoryFactory()
    ticket = TicketFactory()
    queue = reverse("appeals:dispatch_queue")
    response = signed_in(client, dispatcher).post(
        action_url(ticket, "dispatch"),
        {
            "expected_version": ticket.version,
            "category": category.pk,
            "lead_department": department.pk,
            "assisting_departments": [other_department.pk],
            "next": queue,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == queue
    ticket.refresh_from_db()
    assert ticket.state == S.DISPATCHED
    assert ticket.lead_department == department
    assert list(ticket.assisting_departments.all()) == [other_department]
    assert ticket.appeal.category == category


def test_next_pointing_elsewhere_is_ignored(client, dispatcher, department):
    ticket = TicketFactory()
    response = signed_in(client, dispatcher).post(
        action_url(ticket, "dispatch"),
        {"expected_version": 1, "lead_department": department.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == detail_url(ticket)


# --- two people at once ----------------------------------------------------------------------------


def test_stale_form_gets_the_conflict_message_and_keeps_the_typed_text(
    client, dispatcher, supervisor, department
):
    ticket = TicketFactory(state=S.ACCEPTED, lead_department=department, pending_extension=3)
    seen = ticket.version
    # The supervisor approves first; the dispatcher's page still shows the old version.
    services.approve_extension(actor=supervisor, ticket=ticket, expected_version=seen)
    response = signed_in(client, dispatcher).post(
        action_url(ticket, "reject_extension"), {"expected_version": seen, "reason": "时限充足，无需延期"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "孙督办" in html
    assert "批准延期" in html
    assert "时限充足，无需延期" in html  # nothing the dispatcher typed is lost
    ticket.refresh_from_db()
    assert ticket.extensions.get().decision == "approved"
    assert ticket.version == seen + 1


def test_after_a_conflict_the_form_is_offered_again_at_the_new_version(
    client, department, handler, dispatcher
):
    ticket = TicketFactory(state=S.ACCEPTED, lead_department=department)
    seen = ticket.version
    services.request_extension(actor=handler, ticket=ticket, expected_version=seen, days=1, reason="第一次")
    colleague = UserFactory(role=Role.HANDLER, department=department)
    response = signed_in(client, colleague).post(
        action_url(ticket, "submit_reply"), {"expected_version": seen, "text": "答复草稿：已协调完毕。"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    form = html[html.index('id="action-submit_reply"') :]
    assert f'name="expected_version" value="{seen + 1}"' in form
    assert "答复草稿：已协调完毕。" in form
    retried = client.post(
        action_url(ticket, "submit_reply"), {"expected_version": seen + 1, "text": "答复草稿：已协调完毕。"}
    )
    assert retried.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == S.REPLY_REVIEW


def test_conflict_on_an_action_no_longer_offered_shows_the_text_to_copy(
    client, dispatcher, department, other_department
):
    ticket = TicketFactory()
    colleague = UserFactory(role=Role.DISPATCHER, full_name="吴派单")
    services.dispatch_ticket(actor=colleague, ticket=ticket, expected_version=1, lead_department=department)
    response = signed_in(client, dispatcher).post(
        action_url(ticket, "dispatch"),
        {"expected_version": 1, "lead_department": other_department.pk, "reason": "派单说明：属区级事权"},
    )
    assert response.status_code == 409
    box = response.content.decode()
    box = box[box.index('id="actions"') :]
    assert "吴派单" in box  # the service's conflict message: who did what
    assert 'id="action-dispatch"' not in box  # dispatching is over; the text is kept to copy
    assert re.search(r"<textarea[^>]*readonly[^>]*>派单说明：属区级事权</textarea>", box)
    ticket.refresh_from_db()
    assert ticket.lead_department == department


def test_conflict_on_an_action_still_offered_reopens_its_form_with_the_input(
    client, dispatcher, department, handler
):
    ticket = TicketFactory(state=S.DISPATCHED, lead_department=department)
    services.accept_ticket(actor=handler, ticket=ticket, expected_version=1)
    response = signed_in(client, dispatcher).post(
        action_url(ticket, "redispatch"),
        {"expected_version": 1, "lead_department": department.pk, "reason": "转派说明：属区级事权"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    form = html[html.index('id="action-redispatch"') :]
    assert "“签收”" in form
    assert 'name="expected_version" value="2"' in form
    assert "转派说明：属区级事权</textarea>" in form
    assert '<details class="mb-2" id="more-actions" open>' in html


# --- masking -----------------------------------------------------------------------------------------


def test_caller_phone_is_full_for_agents_and_masked_for_handlers(client, agent, department, handler):
    ticket = TicketFactory(state=S.REPLIED, lead_department=department, appeal__caller_phone="13912345678")
    agent_html = signed_in(client, agent).get(detail_url(ticket)).content.decode()
    assert "13912345678" in agent_html
    handler_html = signed_in(client, handler).get(detail_url(ticket)).content.decode()
    assert "13912345678" not in handler_html
    assert mask_phone("13912345678") in handler_html


# --- queues ------------------------------------------------------------------------------------------


def test_dispatch_queue_puts_urgent_and_red_list_first_and_shows_the_classifier_suggestion(
    client, dispatcher
):
    suggested = CategoryFactory(name="用电增容")
    other = CategoryFactory(name="供水报装")
    normal = TicketFactory(appeal__registered_at=timezone.now() - dt.timedelta(hours=5))
    red = TicketFactory(appeal__priority=Priority.HIGH, appeal__enterprise__red_list=True)
    urgent = TicketFactory(appeal__priority=Priority.URGENT)
    normal.appeal.suggested_category = suggested
    normal.appeal.confidence = Decimal("0.8731")
    normal.appeal.top3 = [
        {"category": suggested.code, "confidence": 0.8731},
        {"category": other.code, "confidence": 0.09},
    ]
    normal.appeal.save()
    TicketFactory(state=S.DISPATCHED)  # not waiting
    html = signed_in(client, dispatcher).get(reverse("appeals:dispatch_queue")).content.decode()
    order = re.findall(r'data-ticket="(\d+)"', html)
    assert order == [str(urgent.pk), str(red.pk), str(normal.pk)]
    assert "置信度 87%" in html
    assert '供水报装 <span class="mono">9%</span>' in html
    # the quick form pre-selects the suggested category
    assert f'<option value="{suggested.pk}" selected>' in html


def test_dispatch_queue_prefills_the_routing_rule_when_one_matches(client, dispatcher, department):
    routing = pytest.importorskip("huiqi.appeals.routing")
    from huiqi.appeals.models import RoutingRule

    category = CategoryFactory(name="用电增容")
    RoutingRule.objects.create(name="用电归工信", category=category, lead_department=department, order=1)
    ticket = TicketFactory(appeal__category=category)
    assert routing.suggest_route(appeal=ticket.appeal).lead_department == department
    html = signed_in(client, dispatcher).get(reverse("appeals:dispatch_queue")).content.decode()
    assert f'<option value="{department.pk}" selected>' in html
    assert "用电归工信" in html


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (Role.HANDLER, "appeals:dispatch_queue"),
        (Role.AGENT, "appeals:review_queue"),
        (Role.HANDLER, "appeals:supervision_queue"),
        (Role.DISPATCHER, "appeals:follow_up_queue"),
        (Role.ENTERPRISE, "appeals:department_queue"),
    ],
)
def test_queues_are_for_their_roles(client, role, url_name):
    assert signed_in(client, UserFactory(role=role)).get(reverse(url_name)).status_code == 403


def test_department_queue_lists_own_tickets_with_deadline_badges(client, department, handler):
    overdue = TicketFactory(overdue=True, lead_department=department)
    warned = TicketFactory(warned=True, lead_department=department)
    provisional = TicketFactory(state=S.DISPATCHED, lead_department=department, deadline_is_provisional=True)
    foreign = TicketFactory(state=S.ACCEPTED)
    html = signed_in(client, handler).get(reverse("appeals:department_queue")).content.decode()
    for ticket in (overdue, warned, provisional):
        assert ticket.appeal.number in html
    assert foreign.appeal.number not in html
    rows = {m.group(1): m.group(2) for m in re.finditer(r"(QY\d{8}-\d{6})</a>(.*?)</tr>", html, re.S)}
    assert "超期" in rows[overdue.appeal.number]
    assert "预警" in rows[warned.appeal.number]
    assert "暂定" in rows[provisional.appeal.number]
    assert "超期" not in rows[provisional.appeal.number]
    only_dispatched = client.get(
        reverse("appeals:department_queue"), {"state": "dispatched"}
    ).content.decode()
    assert provisional.appeal.number in only_dispatched
    assert overdue.appeal.number not in only_dispatched


def test_supervisor_sees_overdue_tickets_and_supervises_one(client, supervisor, department):
    overdue = TicketFactory(overdue=True, lead_department=department)
    fine = TicketFactory(state=S.ACCEPTED, lead_department=department)
    signed_in(client, supervisor)
    html = client.get(reverse("appeals:supervision_queue")).content.decode()
    overdue_section = html[html.index('id="overdue-tickets"') : html.index('id="warning-tickets"')]
    assert overdue.appeal.number in overdue_section
    assert fine.appeal.number not in html
    queue = reverse("appeals:supervision_queue")
    response = client.post(action_url(overdue, "supervise"), {"reason": "请今日内答复企业", "next": queue})
    assert response["Location"] == queue
    record = Supervision.objects.get(ticket=overdue, is_automatic=False)
    assert record.reason == "请今日内答复企业"
    assert "请今日内答复企业" in client.get(queue).content.decode()


def test_follow_up_queue_lists_replied_tickets_and_a_dissatisfied_call_reopens(client, agent, department):
    replied = TicketFactory(state=S.REPLIED, lead_department=department, appeal__caller_phone="13800001111")
    TicketFactory(state=S.ACCEPTED)
    signed_in(client, agent)
    html = client.get(reverse("appeals:follow_up_queue")).content.decode()
    assert replied.appeal.number in html
    assert "13800001111" in html
    response = client.post(
        action_url(replied, "record_follow_up"),
        {
            "expected_version": replied.version,
            "is_resolved": "0",
            "satisfaction": "dissatisfied",
            "comment": "仍未通电",
        },
    )
    assert response.status_code == 302
    replied.refresh_from_db()
    assert replied.state == S.DISPATCHED
    assert replied.reopen_count == 1
    follow_up = replied.follow_ups.get()
    assert (follow_up.method, follow_up.is_resolved) == ("call", False)


def test_review_queue_lists_replies_and_extension_requests(client, dispatcher):
    review = TicketFactory(state=S.REPLY_REVIEW)
    extension = TicketFactory(state=S.ACCEPTED, pending_extension=2)
    signed_in(client, dispatcher)
    replies_html = client.get(reverse("appeals:review_queue")).content.decode()
    assert review.appeal.number in replies_html
    assert extension.appeal.number not in replies_html
    extensions_html = client.get(reverse("appeals:review_queue"), {"tab": "extensions"}).content.decode()
    assert extension.appeal.number in extensions_html
    assert "需要协调供电公司现场勘查" in extensions_html


@pytest.mark.parametrize(
    ("role", "label"),
    [(Role.DISPATCHER, "派单"), (Role.HANDLER, "部门工单"), (Role.SUPERVISOR, "督办"), (Role.AGENT, "回访")],
)
def test_menu_has_the_queue_of_each_role(client, role, label):
    department = DepartmentFactory() if role == Role.HANDLER else None
    user = UserFactory(role=role, department=department)
    html = signed_in(client, user).get(reverse("core:home")).content.decode()
    assert re.search(rf'<i class="bi bi-[a-z-]+ me-1"></i>{label}</a>', html)


def test_enterprise_user_following_a_notice_link_lands_on_its_own_appeal_page(
    client, enterprise, enterprise_user
):
    own = TicketFactory(state=S.REPLIED, appeal__enterprise=enterprise)
    other = TicketFactory(state=S.REPLIED)
    signed_in(client, enterprise_user)
    response = client.get(detail_url(own))
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:my_appeal", args=[own.appeal.number])
    assert client.get(detail_url(other)).status_code == 404


@pytest.mark.parametrize(
    ("role", "state", "action", "post", "expected_state"),
    [
        (Role.HANDLER, S.ACCEPTED, "pause", {"reason": "等企业补充负荷清单"}, S.PAUSED),
        (Role.HANDLER, S.PAUSED, "resume", {}, S.ACCEPTED),
        (Role.HANDLER, S.DISPATCHED, "return", {"reason": "不属于本单位职责"}, S.AWAITING_DISPATCH),
        (Role.DISPATCHER, S.REPLY_REVIEW, "send_back_reply", {"reason": "未写明完成时间"}, S.ACCEPTED),
        (Role.DISPATCHER, S.REPLIED, "close", {"reason": "三次联系企业未接通"}, S.CLOSED),
        (Role.DISPATCHER, S.REPLIED, "reopen", {"reason": "答复未解决问题"}, S.DISPATCHED),
        (Role.DISPATCHER, S.AWAITING_DISPATCH, "direct_reply", {"text": "申报入口在政务服务网。"}, S.CLOSED),
        (
            Role.LEADER,
            S.ACCEPTED,
            "instruct",
            {"instruction": "请三日内办结", "priority": "urgent"},
            S.ACCEPTED,
        ),
    ],
)
def test_each_action_form_reaches_its_service(client, department, role, state, action, post, expected_state):
    ticket = TicketFactory(state=state, lead_department=department if state != S.AWAITING_DISPATCH else None)
    user = UserFactory(role=role, department=department if role == Role.HANDLER else None)
    response = signed_in(client, user).post(
        action_url(ticket, action), {"expected_version": ticket.version, **post}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.state == expected_state
    assert ticket.version == 2
    assert ticket.events.last().action == action


def test_reclassify_and_redispatch_forms_change_category_and_department(
    client, dispatcher, department, other_department
):
    ticket = TicketFactory(state=S.ACCEPTED, lead_department=department)
    category = CategoryFactory(name="稳岗补贴")
    signed_in(client, dispatcher)
    client.post(action_url(ticket, "reclassify"), {"expected_version": 1, "category": category.pk})
    client.post(
        action_url(ticket, "redispatch"),
        {"expected_version": 2, "lead_department": other_department.pk, "reason": "属人社局职责"},
    )
    ticket.refresh_from_db()
    assert ticket.appeal.category == category
    assert (ticket.state, ticket.lead_department) == (S.DISPATCHED, other_department)


def test_merge_form_takes_the_appeal_number(client, dispatcher):
    target = TicketFactory()
    ticket = TicketFactory()
    response = signed_in(client, dispatcher).post(
        action_url(ticket, "merge"), {"expected_version": 1, "into": target.appeal.number}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == S.CLOSED
    assert ticket.appeal.merged_into == target.appeal
