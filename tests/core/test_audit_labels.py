"""Chinese labels beside the audit log's codes (core.audit_labels) and on the audit page."""

import pytest
from django.urls import reverse

from huiqi.core import audit, audit_labels
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("action", "label"),
    [
        ("enterprise.import", "企业导入"),
        ("user.sign_in_fail", "账号登录失败"),
        ("calendar.year_entered", "工作日历录入年度节假日安排"),
        ("policy_item.bulk_publish", "政策条目批量发布"),
        ("enterprise.frobnicate", ""),
        ("mystery.create", ""),
        ("nodot", ""),
    ],
)
def test_action_label_is_built_from_the_thing_and_the_verb_or_empty(action, label):
    assert audit_labels.action_label(action) == label


@pytest.mark.django_db
def test_object_type_label_is_the_model_s_chinese_name_or_empty():
    assert audit_labels.object_type_label("enterprises.enterprise") == "企业"
    assert audit_labels.object_type_label("core.nothing") == ""
    assert audit_labels.object_type_label("not a model") == ""


def test_source_label_keeps_an_unknown_source_as_it_is():
    assert audit_labels.source_label("web") == "网页"
    assert audit_labels.source_label("robot") == "robot"


@pytest.mark.django_db
def test_audit_page_shows_chinese_labels_beside_the_codes(client):
    audit.record_event(
        actor=None, action="enterprise.import", object_type="enterprises.importbatch", object_id="1"
    )
    client.force_login(UserFactory(audit_admin=True))
    html = client.get(reverse("core:audit")).content.decode()
    assert "企业导入" in html
    assert "<code>enterprise.import</code>" in html
    assert "导入批次" in html  # the model's verbose name instead of enterprises.importbatch


@pytest.mark.django_db
def test_audit_export_has_the_label_column(client):
    audit.record_event(actor=None, action="user.unlock", object_type="accounts.user", object_id="3")
    client.force_login(UserFactory(audit_admin=True))
    response = client.get(reverse("core:audit-export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert "操作说明" in header.split(",")
    assert "账号解锁" in first
