"""The audit log page, its CSV export and GET /api/v1/audit-events/: audit administrator only."""

import pytest
from django.urls import reverse

from huiqi.core import audit
from huiqi.core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OTHER_ROLES = ["system_admin", "security_admin", "leader", "handler", "enterprise"]


@pytest.fixture
def auditor(client):
    user = UserFactory(audit_admin=True, full_name="审计员")
    client.force_login(user)
    return user


def changed_event(actor=None, **kwargs):
    arguments = {
        "action": "enterprise.updated",
        "object_type": "enterprises.enterprise",
        "object_id": "42",
        "object_repr": "济南测试科技有限公司",
        "before": {"employees": 40, "name": "旧名"},
        "after": {"employees": 55, "name": "旧名"},
    }
    arguments.update(kwargs)
    return audit.record_event(actor=actor, **arguments)


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_from_the_page_the_export_and_the_api(client, role):
    changed_event()
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("core:audit")).status_code == 403
    assert client.get(reverse("core:audit-export")).status_code == 403
    response = client.get(reverse("api-audit-events"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(action__in=["audit.searched", "audit.exported"]).exists()


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("core:audit"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_page_shows_events_with_a_readable_diff_of_changed_fields(client, auditor):
    event = changed_event(actor=UserFactory(full_name="王五"))
    response = client.get(reverse("core:audit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王五" in html
    assert "enterprise.updated" in html
    assert "济南测试科技有限公司" in html
    assert f'id="diff-{event.pk}"' in html
    diff = next(row["diff"] for row in response.context["rows"] if row["event"].pk == event.pk)
    assert {"field": "employees", "before": "40", "after": "55", "changed": True} in diff
    assert {"field": "name", "before": "旧名", "after": "旧名", "changed": False} in diff


def test_page_filters_and_the_search_is_itself_audited(client, auditor):
    changed_event()
    changed_event(action="calendar.year_entered", object_type="", object_id="")
    response = client.get(reverse("core:audit"), {"action": "calendar."})
    actions = [row["event"].action for row in response.context["rows"]]
    assert actions == ["calendar.year_entered"]
    searched = AuditEvent.objects.filter(action="audit.searched").get()
    assert searched.actor_id == auditor.pk
    assert searched.after["filters"] == {"action": "calendar."}


def test_page_with_a_bad_date_shows_the_error_and_no_events(client, auditor):
    changed_event()
    response = client.get(reverse("core:audit"), {"occurred_from": "2026-13-01"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["form"].errors["occurred_from"]


def test_page_is_paginated(client, auditor):
    for i in range(60):
        changed_event(object_id=str(i))
    first = client.get(reverse("core:audit"), {"action": "enterprise."})
    assert len(first.context["rows"]) == 50
    second = client.get(reverse("core:audit"), {"action": "enterprise.", "page": 2})
    assert len(second.context["rows"]) == 10


def test_export_streams_the_filtered_events_and_is_audited(client, auditor):
    changed_event()
    changed_event(action="calendar.year_entered")
    response = client.get(reverse("core:audit-export"), {"action": "enterprise."})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("编号,时间,操作人")
    assert len(lines) == 2
    assert "enterprise.updated" in lines[1]
    assert AuditEvent.objects.filter(action="audit.exported", actor_id=auditor.pk).count() == 1


def test_api_lists_events_with_filters_and_audits_the_call(client, auditor):
    changed_event()
    changed_event(object_id="43")
    response = client.get(reverse("api-audit-events"), {"object_id": "43"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    [item] = data["results"]
    assert item["object_id"] == "43"
    assert item["after"] == {"employees": 55, "name": "旧名"}
    assert AuditEvent.objects.filter(action="audit.searched", source="api").count() == 1


def test_api_rejects_a_malformed_date_in_the_error_format(client, auditor):
    response = client.get(reverse("api-audit-events"), {"occurred_to": "yesterday"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert "occurred_to" in error["fields"]


def test_audit_menu_item_is_shown_to_the_audit_administrator_only(client, auditor):
    assert reverse("core:audit") in client.get(reverse("core:inbox")).content.decode()
    client.force_login(UserFactory(system_admin=True))
    assert reverse("core:audit") not in client.get(reverse("core:inbox")).content.decode()
