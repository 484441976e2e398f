import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from huiqi.accounts.enums import Role
from huiqi.enterprises.enums import ChangeSource, ImportStatus
from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory, uscc_for

pytestmark = pytest.mark.django_db


def api_as(role=None, *, user=None, token=True):
    """An API client authenticated by token (the way other systems call us)."""
    client = APIClient()
    user = user or UserFactory(role=role)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    else:
        client.force_authenticate(user)
    return client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


NEW = {
    "uscc": uscc_for(7001),
    "name": "济南接口新增有限公司",
    "region_code": "370102",
    "industry_code": "I6513",
    "established_on": "2021-06-01",
    "employees": 12,
    "revenue": "3000000.00",
    "tags": ["高新技术企业", "科技型中小企业"],
    "contact_phone": "13812345678",
}


def test_list_filters_pages_and_masks_by_role():
    EnterpriseFactory.create_batch(3, region_code="370103", contact_phone="13812345678")
    EnterpriseFactory(region_code="370102")
    response = api_as(Role.DISPATCHER).get("/api/v1/enterprises/", {"region_code": "370103", "page_size": 2})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert data["count_is_capped"] is False
    assert data["next"]
    assert len(data["results"]) == 2
    first = data["results"][0]
    assert first["region_label"] == "市中区"
    assert first["contact_phone"] == "138****5678"
    full = api_as(Role.AGENT).get("/api/v1/enterprises/", {"region_code": "370103"}).json()
    assert full["results"][0]["contact_phone"] == "13812345678"


def test_list_rejects_an_unknown_filter_value():
    error = assert_error(
        api_as(Role.LEADER).get("/api/v1/enterprises/", {"size_class": "huge"}), 400, "validation_failed"
    )
    assert "size_class" in error["fields"]


def test_list_gives_an_enterprise_user_only_its_own():
    own, _ = EnterpriseFactory.create_batch(2)
    client = api_as(user=EnterpriseUserFactory(enterprises=[own]))
    assert [e["uscc"] for e in client.get("/api/v1/enterprises/").json()["results"]] == [own.uscc]


def test_detail_gives_derived_facts():
    enterprise = EnterpriseFactory(revenue=1000000, rd_expense=40000, tags="b;a")
    data = api_as(Role.SPECIALIST).get(f"/api/v1/enterprises/{enterprise.uscc.lower()}/").json()
    assert data["uscc"] == enterprise.uscc
    assert data["rd_ratio"] == pytest.approx(0.04)
    assert data["age_years"] > 0
    assert data["tags"] == ["b", "a"]
    assert data["size_class"] == enterprise.size_class


def test_detail_of_another_s_enterprise_is_refused_to_an_enterprise_user():
    own, stranger = EnterpriseFactory.create_batch(2)
    client = api_as(user=EnterpriseUserFactory(enterprises=[own]))
    assert_error(client.get(f"/api/v1/enterprises/{stranger.uscc}/"), 403, "permission_denied")


def test_create_registers_an_enterprise_with_its_creation_in_history():
    response = api_as(Role.SYSTEM_ADMIN).post("/api/v1/enterprises/", NEW, format="json")
    assert response.status_code == 201, response.content
    enterprise = Enterprise.objects.get(uscc=NEW["uscc"])
    assert enterprise.tag_list == sorted(NEW["tags"])  # stored canonically: sorted, ";"-joined
    assert enterprise.employees == 12
    assert enterprise.size_class == "small"
    assert response.json()["size_class"] == "small"
    assert ProfileChange.objects.get(enterprise=enterprise).source == ChangeSource.API


def test_create_reports_every_faulty_field_and_registers_nothing():
    bad = {**NEW, "uscc": NEW["uscc"][:-1] + "X", "industry_code": "Z99"}
    error = assert_error(
        api_as(Role.SYSTEM_ADMIN).post("/api/v1/enterprises/", bad, format="json"), 400, "validation_failed"
    )
    assert set(error["fields"]) == {"uscc", "industry_code"}
    assert not Enterprise.objects.exists()


def test_create_is_refused_to_other_roles():
    assert_error(
        api_as(Role.DISPATCHER).post("/api/v1/enterprises/", NEW, format="json"), 403, "permission_denied"
    )
    assert not Enterprise.objects.exists()


def test_patch_changes_fields_and_records_the_api_as_source():
    enterprise = EnterpriseFactory(employees=40)
    admin = UserFactory(role=Role.SYSTEM_ADMIN)
    response = api_as(user=admin).patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", {"employees": 400}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["employees"] == 400
    change = ProfileChange.objects.get(enterprise=enterprise, field="employees")
    assert (change.old_value, change.new_value, change.source, change.changed_by) == (
        "40",
        "400",
        "api",
        admin,
    )


def test_patch_cannot_change_the_uscc_and_is_refused_to_readers():
    enterprise = EnterpriseFactory()
    response = api_as(Role.SYSTEM_ADMIN).patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", {"established_on": "not a date"}, format="json"
    )
    assert "established_on" in assert_error(response, 400, "validation_failed")["fields"]
    refused = api_as(Role.SUPERVISOR).patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", {"employees": 1}, format="json"
    )
    assert_error(refused, 403, "permission_denied")
    enterprise.refresh_from_db()
    assert enterprise.employees == 40


def test_history_lists_changes_newest_first():
    enterprise = EnterpriseFactory()
    api_as(Role.SYSTEM_ADMIN).patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", {"name": "新名称"}, format="json"
    )
    data = api_as(Role.HANDLER).get(f"/api/v1/enterprises/{enterprise.uscc}/history/").json()
    assert data["results"][0]["field"] == "name"
    assert data["results"][0]["field_label"] == "企业名称"
    assert data["results"][0]["new_value"] == "新名称"
    assert data["results"][0]["source_label"] == "接口"


def test_history_of_an_unknown_enterprise_is_not_found():
    assert_error(api_as(Role.HANDLER).get(f"/api/v1/enterprises/{uscc_for(999)}/history/"), 404, "not_found")


def test_import_upload_runs_and_reports_progress_and_errors(django_capture_on_commit_callbacks):
    good = uscc_for(7100)
    content = (
        "uscc,name,region_code,industry_code,established_on\n"
        f"{good},甲公司,370102,I6513,2019-04-01\n"
        "123,乙公司,370102,I6513,2019-04-01\n"
    )
    client = api_as(Role.SYSTEM_ADMIN)
    upload = SimpleUploadedFile("接口导入.csv", content.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/enterprise-imports/", {"file": upload, "atomic": "false"}, format="multipart"
        )
    assert response.status_code == 202, response.content
    batch_id = response.json()["id"]
    data = client.get(f"/api/v1/enterprise-imports/{batch_id}/").json()
    assert data["status"] == ImportStatus.DONE
    assert data["progress"] == 100
    assert (data["created_count"], data["rejected_count"]) == (1, 1)
    assert data["errors"][0]["row"] == 3
    assert data["errors"][0]["column"] == "uscc"
    assert data["errors_csv_url"] == f"/api/v1/enterprise-imports/{batch_id}/errors.csv"
    report = client.get(data["errors_csv_url"])
    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/csv")
    assert "123" in report.content.decode("utf-8-sig")
    listed = client.get("/api/v1/enterprise-imports/").json()
    assert [b["id"] for b in listed["results"]] == [batch_id]


def test_import_upload_without_a_file_is_a_validation_error():
    error = assert_error(
        api_as(Role.SYSTEM_ADMIN).post("/api/v1/enterprise-imports/", {}), 400, "validation_failed"
    )
    assert "file" in error["fields"]


def test_imports_are_refused_to_other_roles():
    batch = ImportBatch.objects.create(file_name="a.csv")
    client = api_as(Role.LEADER)
    upload = SimpleUploadedFile("a.csv", b"uscc\n", content_type="text/csv")
    assert_error(client.post("/api/v1/enterprise-imports/", {"file": upload}), 403, "permission_denied")
    assert_error(client.get(f"/api/v1/enterprise-imports/{batch.pk}/"), 403, "permission_denied")
    assert_error(client.get(f"/api/v1/enterprise-imports/{batch.pk}/errors.csv"), 403, "permission_denied")


def test_unknown_import_batch_is_not_found():
    assert_error(api_as(Role.SYSTEM_ADMIN).get("/api/v1/enterprise-imports/12345/"), 404, "not_found")


def test_session_authentication_works_as_well_as_tokens(client):
    enterprise = EnterpriseFactory()
    client.force_login(UserFactory(role=Role.AGENT))
    assert client.get(f"/api/v1/enterprises/{enterprise.uscc}/").status_code == 200


def test_import_upload_of_another_file_type_is_refused_at_once_like_the_page():
    upload = SimpleUploadedFile("名单.txt", b"uscc,name\n", content_type="text/plain")
    response = api_as(Role.SYSTEM_ADMIN).post("/api/v1/enterprise-imports/", {"file": upload})
    error = assert_error(response, 400, "validation_failed")
    assert error["fields"]["file"] == ["只接受 .csv 或 .xlsx 文件。"]
    assert not ImportBatch.objects.exists()
