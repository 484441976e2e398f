"""Intake (appeals/services/intake.py): channels and who may use them, caller recognition, numbering,
priority, idempotent pushes, similar appeals, attachments, direct replies and the mayor line."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.enums import Closure, Priority, ReplyStatus, TicketState
from huiqi.appeals.errors import AppealInputInvalidError, AttachmentRejectedError
from huiqi.appeals.models import Appeal, Attachment, Ticket, TicketEvent
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent, Notification
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
CONTENT = "我司新建厂房申请用电增容已一个月，供电部门一直没有答复，影响生产线投产。"


def hotline(agent, **extra) -> Appeal:
    return services.register_appeal(
        actor=agent,
        channel="hotline",
        kind=extra.pop("kind", "help"),
        content=extra.pop("content", CONTENT),
        **extra,
    )


# --- the caller ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialled", ["053188886666", "0531 88886666", "+86 531 8888 6666", "0531-88886666"])
def test_hotline_caller_is_recognised_by_the_registered_contact_phone(agent, enterprise, dialled):
    appeal = hotline(agent, caller_phone=dialled)
    assert appeal.enterprise == enterprise
    assert TicketEvent.objects.get(ticket=appeal.ticket).data["recognised_by"] == "caller_phone"


def test_a_mobile_caller_is_recognised_whatever_the_spacing(agent):
    owner = EnterpriseFactory(contact_phone="13805310001")
    assert hotline(agent, caller_phone="138-0531-0001").enterprise == owner


def test_a_number_shared_by_two_enterprises_recognises_neither(agent):
    EnterpriseFactory(contact_phone="0531-86660000")
    EnterpriseFactory(contact_phone="0531-86660000")
    appeal = hotline(agent, caller_phone="053186660000")
    assert appeal.enterprise is None
    assert appeal.caller_phone == "053186660000"


def test_an_unknown_caller_is_registered_without_an_enterprise(agent):
    appeal = hotline(agent, caller_phone="13000000000", caller_name="张先生")
    assert (appeal.enterprise, appeal.caller_name, appeal.ticket.state) == (
        None,
        "张先生",
        "awaiting_dispatch",
    )


# --- numbers ---------------------------------------------------------------------------------------------


def test_numbers_run_per_registration_day(agent):
    with time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=SH), tick=False):
        first, second = hotline(agent), hotline(agent)
    with time_machine.travel(dt.datetime(2026, 11, 22, 0, 5, tzinfo=SH), tick=False):
        next_day = hotline(agent)
    assert [first.number, second.number, next_day.number] == [
        "QY20261121-000001",
        "QY20261121-000002",
        "QY20261122-000001",
    ]


def test_a_day_past_a_million_appeals_gets_longer_numbers_never_cut_ones(agent):
    from huiqi.appeals.models import AppealNumberCounter

    with time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=SH), tick=False):
        AppealNumberCounter.objects.create(day=dt.date(2026, 11, 21), last_value=999_998)
        numbers = [hotline(agent).number, hotline(agent).number]
    assert numbers == ["QY20261121-999999", "QY20261121-1000000"]
    assert list(Appeal.objects.order_by("id").values_list("number", flat=True)) == numbers


def test_registration_is_audited_and_starts_the_history(agent):
    appeal = hotline(agent)
    event = AuditEvent.objects.get(action="appeal.registered")
    assert (event.actor, event.object_id, event.after["number"]) == (agent, str(appeal.pk), appeal.number)
    history = TicketEvent.objects.get(ticket=appeal.ticket)
    assert (history.action, history.from_state, history.to_state) == ("register", "", "awaiting_dispatch")


def test_the_enterprise_is_told_its_number_by_inbox_and_sms(
    agent, enterprise, enterprise_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = hotline(agent, enterprise=enterprise)
    rows = Notification.objects.filter(recipient=enterprise_user)
    assert {r.channel for r in rows} == {"inbox", "sms"}
    assert all(appeal.number in r.subject for r in rows)


# --- who registers on which channel -------------------------------------------------------------------------


def test_enterprise_user_files_for_its_own_enterprise_on_the_portal(enterprise, enterprise_user):
    appeal = services.register_appeal(
        actor=enterprise_user, channel="web", kind="consultation", content=CONTENT
    )
    assert appeal.enterprise == enterprise
    assert (appeal.caller_name, appeal.caller_phone) == ("王经理", "13912345678")


def test_enterprise_user_cannot_file_for_another_enterprise(enterprise_user):
    with pytest.raises(PermissionDeniedError, match="关联的企业"):
        services.register_appeal(
            actor=enterprise_user, channel="web", kind="help", content=CONTENT, enterprise=EnterpriseFactory()
        )


def test_user_of_several_enterprises_must_choose_one():
    user = EnterpriseUserFactory(enterprises=[EnterpriseFactory(), EnterpriseFactory()])
    with pytest.raises(AppealInputInvalidError, match="多家企业") as raised:
        services.register_appeal(actor=user, channel="app", kind="help", content=CONTENT)
    assert raised.value.field == "enterprise"


@pytest.mark.parametrize(
    ("role", "channel", "allowed"),
    [
        (Role.AGENT, "hotline", True),
        (Role.SPECIALIST, "visit", True),
        (Role.SPECIALIST, "hotline", False),
        (Role.ENTERPRISE, "hotline", False),
        (Role.HANDLER, "web", False),
        (Role.SUPERVISOR, "hotline", False),
        (Role.AGENT, "mayor_line", False),
    ],
)
def test_each_role_registers_on_its_channels_only(role, channel, allowed, enterprise):
    actor = (
        EnterpriseUserFactory(enterprises=[enterprise]) if role == Role.ENTERPRISE else UserFactory(role=role)
    )
    if allowed:
        assert services.register_appeal(actor=actor, channel=channel, kind="help", content=CONTENT).pk
    else:
        with pytest.raises(PermissionDeniedError):
            services.register_appeal(actor=actor, channel=channel, kind="help", content=CONTENT)
        assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"content": "   "}, "content"),
        ({"kind": "gossip"}, "kind"),
        ({"channel": "fax"}, "channel"),
        ({"title": "长" * 201}, "title"),
        ({"external_id": "X1"}, "source_system"),
        ({"priority": "very"}, "priority"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_stores_nothing(agent, fields, field):
    values = {"channel": "hotline", "kind": "help", "content": CONTENT, **fields}
    with pytest.raises(AppealInputInvalidError) as raised:
        services.register_appeal(actor=agent, **values)
    assert raised.value.field == field
    assert not Appeal.objects.exists()


# --- priority ---------------------------------------------------------------------------------------------


def test_red_list_enterprise_goes_first(agent, red_enterprise):
    appeal = hotline(agent, caller_phone="0531-87776666")
    assert (appeal.enterprise, appeal.is_red_list, appeal.priority) == (red_enterprise, True, Priority.HIGH)


def test_staff_may_mark_urgent_but_enterprise_users_may_not(agent, enterprise_user):
    assert hotline(agent, priority="urgent").priority == Priority.URGENT
    with pytest.raises(AppealInputInvalidError, match="优先级"):
        services.register_appeal(
            actor=enterprise_user, channel="web", kind="help", content=CONTENT, priority="urgent"
        )


# --- pushes from other systems ------------------------------------------------------------------------------


def test_a_push_is_idempotent_by_source_and_external_id():
    first = services.register_appeal(
        actor=None,
        channel="web",
        kind="complaint",
        content=CONTENT,
        source_system="12345",
        external_id="GD-1",
    )
    again = services.register_appeal(
        actor=None,
        channel="web",
        kind="complaint",
        content="重复推送",
        source_system="12345",
        external_id="GD-1",
    )
    other_source = services.register_appeal(
        actor=None, channel="web", kind="complaint", content=CONTENT, source_system="信访", external_id="GD-1"
    )
    assert again.pk == first.pk
    assert again.content == CONTENT
    assert other_source.pk != first.pk
    assert Ticket.objects.count() == 2


def test_a_push_must_name_its_source_system():
    with pytest.raises(AppealInputInvalidError) as raised:
        services.register_appeal(actor=None, channel="web", kind="help", content=CONTENT)
    assert raised.value.field == "source_system"


# --- similar appeals (并单) ------------------------------------------------------------------------------------


def test_similar_open_appeal_of_the_same_enterprise_is_flagged(agent, enterprise):
    earlier = hotline(agent, enterprise=enterprise)
    hotline(agent, enterprise=EnterpriseFactory())  # another enterprise: never a candidate
    repeat = hotline(
        agent, enterprise=enterprise, content="新建厂房申请用电增容一个月了，供电部门一直没有答复，影响投产。"
    )
    unrelated = hotline(
        agent, enterprise=enterprise, content="咨询高新技术企业认定的申报时间。", kind="consultation"
    )
    assert repeat.similar_to == earlier
    assert unrelated.similar_to is None
    data = TicketEvent.objects.get(ticket=repeat.ticket).data
    assert data["similar_to"] == earlier.number
    assert data["similarity"] >= 0.5


def test_same_category_counts_as_similar_and_closed_appeals_are_not_candidates(agent, enterprise):
    category = CategoryFactory()
    TicketFactory(state=TicketState.CLOSED, appeal__enterprise=enterprise, appeal__category=category)
    assert hotline(agent, enterprise=enterprise, category=category).similar_to is None
    open_one = hotline(agent, enterprise=enterprise, category=category, content="另一件事")
    assert (
        hotline(agent, enterprise=enterprise, category=category, content="完全不同的内容").similar_to
        == open_one
    )


# --- attachments ----------------------------------------------------------------------------------------------


def test_attachments_are_stored_with_the_appeal(enterprise_user):
    files = [
        SimpleUploadedFile("用电负荷清单.xlsx", b"PK\x03\x04data", content_type="application/vnd.ms-excel")
    ]
    appeal = services.register_appeal(
        actor=enterprise_user, channel="web", kind="help", content=CONTENT, attachments=files
    )
    stored = Attachment.objects.get(appeal=appeal)
    assert (stored.name, stored.size, stored.reply) == ("用电负荷清单.xlsx", 8, None)
    assert stored.file.read() == b"PK\x03\x04data"


def test_a_forbidden_attachment_refuses_the_whole_appeal(enterprise_user):
    files = [SimpleUploadedFile("说明.pdf", b"%PDF"), SimpleUploadedFile("run.exe", b"MZ")]
    with pytest.raises(AttachmentRejectedError, match=r"run\.exe"):
        services.register_appeal(
            actor=enterprise_user, channel="web", kind="help", content=CONTENT, attachments=files
        )
    assert not Appeal.objects.exists()
    assert not Attachment.objects.exists()


# --- direct reply -------------------------------------------------------------------------------------------------


def test_agent_answers_directly_and_the_ticket_closes_without_dispatch(
    agent, enterprise, enterprise_user, django_capture_on_commit_callbacks
):
    appeal = hotline(agent, enterprise=enterprise, kind="consultation", content="高企认定什么时候申报？")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.answer_directly(
            actor=agent,
            ticket=appeal.ticket,
            expected_version=1,
            text="今年申报截止 6 月 30 日，在省科技厅系统填报。",
        )
    assert (ticket.state, ticket.closure, ticket.lead_department) == (
        TicketState.CLOSED,
        Closure.DIRECT_REPLY,
        None,
    )
    assert ticket.appeal.is_direct_reply is True
    assert ticket.dispatched_at is None
    assert ticket.closed_at == ticket.replied_at
    assert ticket.replies.get().status == ReplyStatus.DIRECT
    assert Notification.objects.filter(recipient=enterprise_user, subject__contains="已答复").count() == 2


# --- the mayor line ------------------------------------------------------------------------------------------------


def test_mayor_line_goes_to_the_leaders_queue_and_the_instruction_releases_it(
    red_enterprise, leader, django_capture_on_commit_callbacks
):
    head = EnterpriseUserFactory(enterprises=[red_enterprise])
    district_leader = UserFactory(
        role=Role.LEADER, department=DepartmentFactory(district=True)
    )  # has a department: not the city's leaders' queue
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.submit_mayor_line_appeal(
            actor=head, title="项目用地审批卡在规划许可", content=CONTENT
        )
    ticket = appeal.ticket
    assert (appeal.channel, appeal.priority, ticket.state) == (
        "mayor_line",
        Priority.HIGH,
        "awaiting_instruction",
    )
    notified = set(
        Notification.objects.filter(subject__contains="待批示").values_list("recipient_id", flat=True)
    )
    assert notified == {leader.pk}
    assert district_leader.pk not in notified
    ticket = services.record_leader_instruction(
        actor=leader,
        appeal=appeal,
        instruction="请自然资源局三日内办结",
        expected_version=1,
        priority="urgent",
    )
    ticket.appeal.refresh_from_db()
    assert ticket.state == TicketState.AWAITING_DISPATCH
    assert (ticket.appeal.leader_instruction, ticket.appeal.instructed_by) == (
        "请自然资源局三日内办结",
        leader,
    )
    assert ticket.appeal.priority == Priority.URGENT


def test_mayor_line_is_for_red_list_enterprises_only(enterprise_user):
    with pytest.raises(AppealInputInvalidError, match="红名单"):
        services.submit_mayor_line_appeal(actor=enterprise_user, title="标题", content=CONTENT)


def test_only_enterprise_users_submit_to_the_mayor_line(agent):
    with pytest.raises(PermissionDeniedError):
        services.submit_mayor_line_appeal(actor=agent, title="标题", content=CONTENT)


# --- the classification seam ---------------------------------------------------------------------------------------


def test_classifier_suggestion_is_stored_without_setting_the_category(agent):
    appeal = hotline(agent)
    power = CategoryFactory(code="energy.power", name="用电")
    services.record_classification(
        appeal=appeal,
        suggested_category="energy.power",
        confidence=0.91234,
        top3=[{"category": "energy.power", "confidence": 0.91}, {"category": "land", "confidence": 0.05}],
        classifier_version="v3",
    )
    appeal.refresh_from_db()
    assert (appeal.suggested_category, str(appeal.confidence), appeal.category) == (power, "0.9123", None)
    assert appeal.top3[0] == {"category": "energy.power", "confidence": 0.91}
    assert AuditEvent.objects.filter(action="appeal.classified", object_id=str(appeal.pk)).exists()


def test_confidence_outside_zero_to_one_is_refused(agent):
    appeal = hotline(agent)
    with pytest.raises(AppealInputInvalidError, match="置信度"):
        services.record_classification(appeal=appeal, suggested_category=None, confidence=1.5)


# --- what follows the registration --------------------------------------------------------------------------

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_follow_up_work_is_one_task_stored_with_the_registration(agent, enterprise, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    appeal = hotline(agent, enterprise=enterprise)
    rows = [(row.task_path, row.args_kwargs) for row in DBTaskResult.objects.all()]
    assert rows == [("huiqi.appeals.tasks.after_registration", {"args": [appeal.pk], "kwargs": {}})]
    assert not Notification.objects.exists()  # the worker tells the enterprise, not the request


def test_a_registration_rolled_back_after_enqueueing_leaves_no_task(agent, settings, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS

    def audit_store_down(**_kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("huiqi.appeals.services.intake.record_event", audit_store_down)
    with pytest.raises(RuntimeError):
        hotline(agent)
    assert not Appeal.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_completing_a_registration_tells_the_enterprise_once_and_writes_the_fact(
    agent, enterprise, enterprise_user, settings, django_capture_on_commit_callbacks
):
    from huiqi.appeals.metrics.models import AppealFact

    settings.TASKS = DATABASE_TASKS  # nothing runs by itself: the test plays the worker
    appeal = hotline(agent, enterprise=enterprise)
    assert not AppealFact.objects.filter(appeal=appeal).exists()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.complete_registration(appeal_id=appeal.pk)
        again = services.complete_registration(appeal_id=appeal.pk)  # a retried task
    assert (
        outcome
        == again
        == {
            "appeal": appeal.number,
            "classified": False,
            "dispatched": False,
            "reason": "没有启用的分类模型",
        }
    )
    rows = Notification.objects.filter(recipient=enterprise_user)
    assert sorted(r.channel for r in rows) == ["inbox", "sms"]
    assert AppealFact.objects.filter(appeal=appeal).count() == 1
    assert services.complete_registration(appeal_id=appeal.pk + 1000) == {"appeal": None}
