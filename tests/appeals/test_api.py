"""The appeals API (/api/v1/): registration (idempotent pushes), scoped reads, every ticket action with
optimistic concurrency (409 in the one error format), categories and metrics."""

import pytest
from rest_framework.test import APIClient

from huiqi.accounts.enums import Role
from huiqi.accounts.services import issue_api_token
from huiqi.appeals.enums import TicketAction, TicketState
from huiqi.appeals.models import Appeal, RoutingRule
from huiqi.appeals.workflow import ACTIONS
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def platform(db):
    """The 12345 platform's system account (appeals.api docstring): an agent, signed in by token."""
    user = UserFactory(role=Role.AGENT, username="12345-platform", full_name="12345 平台")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user).key}")
    return client


PUSH = {
    "channel": "web",
    "kind": "help",
    "title": "厂房用电增容",
    "content": "企业新上生产线，需要将用电容量由 400 千伏安增至 800 千伏安，报装一个月未勘查。",
    "external_id": "12345-2026-000001",
}


def test_a_push_by_the_platform_registers_once_and_a_repeated_push_returns_the_same_appeal(platform):
    first = platform.post("/api/v1/appeals/", PUSH, format="json")
    again = platform.post("/api/v1/appeals/", PUSH, format="json")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    appeal = Appeal.objects.get()
    assert (appeal.source_system, appeal.external_id) == ("12345-platform", "12345-2026-000001")
    assert appeal.registered_by.username == "12345-platform"
    assert first.json()["ticket"]["state"] == TicketState.AWAITING_DISPATCH


def test_the_same_external_id_from_another_source_system_is_another_appeal(platform):
    platform.post("/api/v1/appeals/", PUSH, format="json")
    other = platform.post("/api/v1/appeals/", {**PUSH, "source_system": "政务服务网"}, format="json")
    assert other.status_code == 201
    assert Appeal.objects.count() == 2


def test_registration_names_the_enterprise_by_uscc_and_refuses_bad_fields_in_the_error_format(platform):
    enterprise = EnterpriseFactory(red=True)
    created = platform.post("/api/v1/appeals/", {**PUSH, "enterprise_uscc": enterprise.uscc}, format="json")
    assert created.json()["enterprise"]["uscc"] == enterprise.uscc
    assert created.json()["priority"] == "high"  # the red list goes first

    refused = platform.post(
        "/api/v1/appeals/", {**PUSH, "kind": "gossip", "external_id": "x2"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_failed"
    assert "kind" in refused.json()["error"]["fields"]


def test_each_request_names_its_own_bad_fields_and_a_good_one_after_them_is_registered(platform):
    # The input serializer reuses shallow copies of its declared fields (serializers.py): nothing
    # of one request's validation may carry over to the next.
    first = platform.post(
        "/api/v1/appeals/",
        {**PUSH, "channel": "fax", "content": "长" * 10001, "external_id": "a"},
        format="json",
    )
    second = platform.post("/api/v1/appeals/", {**PUSH, "priority": "vip", "external_id": "b"}, format="json")
    good = platform.post("/api/v1/appeals/", {**PUSH, "external_id": "c"}, format="json")
    assert (first.status_code, second.status_code, good.status_code) == (400, 400, 201)
    assert set(first.json()["error"]["fields"]) == {"channel", "content"}
    assert set(second.json()["error"]["fields"]) == {"priority"}
    assert Appeal.objects.get().external_id == "c"


def test_requests_without_a_token_are_refused_with_401():
    response = APIClient().get("/api/v1/appeals/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_enterprise_user_registers_on_the_portal_and_sees_only_its_own_appeals(
    enterprise_user, enterprise
):
    client = client_for(enterprise_user)
    response = client.post("/api/v1/appeals/", {**PUSH, "external_id": ""}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["enterprise"]["uscc"] == enterprise.uscc
    TicketFactory()  # someone else's

    numbers = [a["number"] for a in client.get("/api/v1/appeals/").json()["results"]]

    assert numbers == [response.json()["number"]]


def test_handlers_list_only_their_departments_tickets(handler, department):
    mine = TicketFactory(state=TicketState.DISPATCHED, lead_department=department)
    TicketFactory(state=TicketState.DISPATCHED)

    data = client_for(handler).get("/api/v1/tickets/").json()

    assert [t["id"] for t in data["results"]] == [mine.pk]
    assert client_for(handler).get(f"/api/v1/tickets/{mine.pk + 1}/").status_code == 404


def test_ticket_detail_shows_history_allowed_actions_and_for_dispatchers_the_routing_rules_route(dispatcher):
    category = CategoryFactory(code="SDQ-YD", name="用电报装")
    lead = DepartmentFactory(name="市发改委")
    RoutingRule.objects.create(name="用电报装", order=1, category=category, lead_department=lead)
    ticket = TicketFactory(appeal__category=category)

    data = client_for(dispatcher).get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert "dispatch" in data["allowed_actions"]
    assert data["suggested_route"]["lead_department"]["name"] == "市发改委"
    assert data["suggested_route"]["rule"] == "用电报装"
    assert data["appeal"]["category"]["code"] == "SDQ-YD"


def test_dispatch_by_the_api_moves_the_ticket_and_a_stale_version_gets_409(dispatcher):
    ticket = TicketFactory()
    lead = DepartmentFactory()
    client = client_for(dispatcher)
    url = f"/api/v1/tickets/{ticket.pk}/dispatch/"

    done = client.post(url, {"expected_version": ticket.version, "lead_department": lead.pk}, format="json")
    stale = client.post(url, {"expected_version": ticket.version, "lead_department": lead.pk}, format="json")

    assert done.status_code == 200, done.json()
    assert done.json()["state"] == TicketState.DISPATCHED
    assert done.json()["lead_department"]["id"] == lead.pk
    assert done.json()["version"] == ticket.version + 1
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert "派单" in stale.json()["error"]["message"]


def test_an_action_the_state_does_not_allow_is_a_409_conflict(handler, department):
    ticket = TicketFactory(state=TicketState.ACCEPTED, lead_department=department)
    response = client_for(handler).post(
        f"/api/v1/tickets/{ticket.pk}/accept/", {"expected_version": ticket.version}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"


def test_a_missing_required_field_is_named_and_nothing_changes(handler, department):
    ticket = TicketFactory(state=TicketState.ACCEPTED, lead_department=department)
    response = client_for(handler).post(
        f"/api/v1/tickets/{ticket.pk}/request_extension/", {"expected_version": ticket.version}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"days", "reason"}
    ticket.refresh_from_db()
    assert ticket.version == 1


def test_a_role_that_may_not_act_gets_403(agent):
    ticket = TicketFactory()
    response = client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/dispatch/",
        {"expected_version": ticket.version, "lead_department": DepartmentFactory().pk},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_whole_loop_through_the_api_ends_with_the_enterprises_online_follow_up(
    dispatcher, handler, department, enterprise, enterprise_user
):
    ticket = TicketFactory(appeal__enterprise=enterprise)

    def act(user, action, **fields):
        current = client_for(user).get(f"/api/v1/tickets/{ticket.pk}/").json()
        response = client_for(user).post(
            f"/api/v1/tickets/{ticket.pk}/{action}/",
            {"expected_version": current["version"], **fields},
            format="json",
        )
        assert response.status_code == 200, response.json()
        return response.json()

    act(dispatcher, "dispatch", lead_department=department.pk)
    act(handler, "accept")
    act(handler, "submit_reply", text="已协调供电公司完成现场勘查，十个工作日内完成增容。")
    act(dispatcher, "approve_reply")
    closed = act(
        enterprise_user, "record_follow_up", method="online", is_resolved=True, satisfaction="satisfied"
    )

    assert closed["state"] == TicketState.CLOSED
    assert [e["action"] for e in closed["history"]] == [
        "dispatch",
        "accept",
        "submit_reply",
        "approve_reply",
        "record_follow_up",
    ]  # fmt: skip (the factory's ticket has no registration row)


def test_a_leaders_instruction_releases_a_mayor_line_appeal_for_dispatch(leader):
    ticket = TicketFactory(state=TicketState.AWAITING_INSTRUCTION, appeal__channel="mayor_line")
    response = client_for(leader).post(
        f"/api/v1/tickets/{ticket.pk}/instruct/",
        {"expected_version": ticket.version, "instruction": "请市工信局牵头，三个工作日内答复。"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == TicketState.AWAITING_DISPATCH
    assert response.json()["appeal"]["leader_instruction"].startswith("请市工信局牵头")


def test_every_action_of_the_workflow_table_has_an_endpoint_in_the_openapi_schema(dispatcher):
    schema = client_for(dispatcher).get("/api/schema/?format=json").json()
    for action in ACTIONS:
        assert f"/api/v1/tickets/{{ticket_id}}/{TicketAction(action).value}/" in schema["paths"], action
    assert "/api/v1/appeals/" in schema["paths"]


def test_the_category_tree_lists_first_level_categories_with_their_children(agent):
    top = CategoryFactory(code="SF", name="税费")
    CategoryFactory(code="SF-TS", name="退税留抵", parent=top)
    CategoryFactory(code="SF-OLD", name="停用", parent=top, is_active=False)

    data = client_for(agent).get("/api/v1/appeal-categories/").json()

    assert [(c["code"], [k["code"] for k in c["children"]]) for c in data] == [("SF", ["SF-TS"])]


def test_metrics_are_served_to_leaders_and_refused_to_enterprises(leader, enterprise_user):
    ok = client_for(leader).get("/api/v1/appeal-metrics/", {"period": "year"})
    assert ok.status_code == 200, ok.json()
    assert {"totals", "by_channel", "trend", "hot_terms"} <= set(ok.json())
    assert client_for(enterprise_user).get("/api/v1/appeal-metrics/").status_code == 403


def test_an_enterprise_user_cannot_read_another_enterprises_appeal():
    owner = EnterpriseUserFactory()
    stranger = EnterpriseUserFactory()
    ticket = TicketFactory(appeal__enterprise=owner.enterprise_memberships.get().enterprise)
    assert client_for(owner).get(f"/api/v1/appeals/{ticket.appeal.number}/").status_code == 200
    assert client_for(stranger).get(f"/api/v1/appeals/{ticket.appeal.number}/").status_code == 404
