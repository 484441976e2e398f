"""The policies API (/api/v1/): one test per endpoint, with who may call it and the one error format
of core.api_errors for what goes wrong."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from huiqi.policies import search_index, services
from huiqi.policies.models import MatchRun, PolicyDocument, PolicyItemVersion
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

CODE = "JN-2021-CXQY-01"
SIMPLE = {
    "effective_to": None,
    "eligibility": {"all": [{"field": "region_code", "op": "starts_with", "value": "3701"}]},
    "reward": {"fixed": 100000},
    "examples": [{"profile": {"region_code": "370102"}, "expect": {"status": "eligible", "amount": 100000}}],
}


@pytest.fixture(autouse=True)
def _search_cache_in_tmp(settings, tmp_path):
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"
    search_index.reset_search_index()
    yield
    search_index.reset_search_index()


def api_as(role=None, *, user=None):
    """A client authenticated by token, as other systems call us."""
    client = APIClient()
    user = user or UserFactory(role=role)
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def published(make_item, write_yaml) -> PolicyItemVersion:
    """The contract's item, simplified to be in force today and to fit enterprises of 济南, published."""
    report = services.import_policy_items(paths=[write_yaml("item.yaml", make_item(**SIMPLE))])
    assert not report.rejected
    return PolicyItemVersion.objects.get(item__code=CODE)


@pytest.fixture
def draft(make_item, write_yaml, editor) -> PolicyItemVersion:
    item = make_item(**SIMPLE, code="DRAFT-01", title="草稿中的条目")
    services.import_policy_items(paths=[write_yaml("draft.yaml", item)], actor=editor, as_draft=True)
    return PolicyItemVersion.objects.get(item__code="DRAFT-01")


def version_url(code, number, action=""):
    return f"/api/v1/policy-items/{code}/versions/{number}/" + (f"{action}/" if action else "")


# ----------------------------------------------------------------------------------- documents
def test_document_list_filters_and_refuses_anonymous_and_bad_filters(published):
    PolicyDocument.objects.create(
        title="国家级政策", issuing_department="工业和信息化部", level="national", region_code="100000"
    )
    data = api_as("enterprise").get("/api/v1/policy-documents/", {"level": "city"}).json()
    assert [row["title"] for row in data["results"]] == [published.document.title]
    assert data["results"][0]["region_label"]
    assert_error(APIClient().get("/api/v1/policy-documents/"), 401, "not_authenticated")
    error = assert_error(
        api_as("agent").get("/api/v1/policy-documents/", {"level": "planet"}), 400, "validation_failed"
    )
    assert "level" in error["fields"]


def test_document_detail_gives_text_and_items_in_words(published):
    document = published.document
    data = api_as("enterprise").get(f"/api/v1/policy-documents/{document.pk}/").json()
    assert data["title"] == document.title
    assert [item["code"] for item in data["items"]] == [CODE]
    assert "区划代码" in data["items"][0]["rules_text"]
    assert data["items"][0]["is_effective"] is True
    assert_error(api_as("agent").get(f"/api/v1/policy-documents/{document.pk + 9}/"), 404, "not_found")


# --------------------------------------------------------------------------------------- items
def test_item_list_hides_unpublished_work_from_other_roles(published, draft):
    public = api_as("enterprise").get("/api/v1/policy-items/").json()
    assert [item["code"] for item in public["results"]] == [CODE]
    staff = api_as("policy_reviewer").get("/api/v1/policy-items/", {"status": "draft"}).json()
    assert [item["code"] for item in staff["results"]] == ["DRAFT-01"]
    assert staff["results"][0]["versions"][0]["status"] == "draft"


def test_item_detail_lists_versions_and_a_draft_only_item_is_not_found_for_others(published, draft):
    data = api_as("enterprise").get(f"/api/v1/policy-items/{CODE}/").json()
    assert [(v["number"], v["status"]) for v in data["versions"]] == [(1, "published")]
    assert_error(api_as("enterprise").get("/api/v1/policy-items/DRAFT-01/"), 404, "not_found")
    assert api_as("policy_editor").get("/api/v1/policy-items/DRAFT-01/").status_code == 200


def test_editor_creates_a_draft_item_and_faults_come_back_by_path(make_item, editor):
    item = {key: value for key, value in make_item(**SIMPLE, code="NEW-01").items() if value is not None}
    item["effective_from"] = "2025-01-01"
    response = api_as(user=editor).post("/api/v1/policy-items/", item, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["code"], response.json()["status"], response.json()["number"]) == (
        "NEW-01",
        "draft",
        1,
    )

    item.update(code="NEW-02", eligibility={"all": [{"field": "revenue", "op": "contains", "value": 1}]})
    error = assert_error(
        api_as(user=editor).post("/api/v1/policy-items/", item, format="json"), 400, "validation_failed"
    )
    assert any(path.startswith("eligibility.all[0]") for path in error["fields"])
    assert_error(
        api_as("policy_reviewer").post("/api/v1/policy-items/", item, format="json"), 403, "permission_denied"
    )


def test_new_version_is_copied_from_the_published_one_once(published, editor):
    response = api_as(user=editor).post(f"/api/v1/policy-items/{CODE}/versions/")
    assert response.status_code == 201
    assert response.json()["number"] == 2
    assert response.json()["eligibility"] == published.eligibility
    assert_error(api_as(user=editor).post(f"/api/v1/policy-items/{CODE}/versions/"), 409, "conflict")


def test_version_detail_and_patch_changes_only_a_draft(published, draft, editor):
    data = api_as("enterprise").get(version_url(CODE, 1)).json()
    assert data["status"] == "published"
    assert data["allowed_steps"] == []
    assert "区划代码" in data["rules_text"]

    response = api_as(user=editor).patch(version_url("DRAFT-01", 1), {"title": "改过的名称"}, format="json")
    assert response.status_code == 200, response.content
    changed = PolicyItemVersion.objects.get(pk=draft.pk)
    assert changed.title == "改过的名称"
    assert changed.eligibility == draft.eligibility
    assert response.json()["allowed_steps"] == ["submit"]
    assert_error(
        api_as(user=editor).patch(version_url(CODE, 1), {"title": "x"}, format="json"), 409, "conflict"
    )


def test_submit_is_for_the_editor(draft, editor, reviewer):
    assert_error(api_as(user=reviewer).post(version_url("DRAFT-01", 1, "submit")), 403, "permission_denied")
    response = api_as(user=editor).post(version_url("DRAFT-01", 1, "submit"))
    assert response.status_code == 200
    assert response.json()["status"] == "in_review"
    assert [t["step"] for t in response.json()["transitions"]] == ["create", "submit"]


def test_return_needs_a_reason(draft, editor, reviewer):
    api_as(user=editor).post(version_url("DRAFT-01", 1, "submit"))
    error = assert_error(
        api_as(user=reviewer).post(version_url("DRAFT-01", 1, "return"), {}), 400, "validation_failed"
    )
    assert "reason" in error["fields"]
    response = api_as(user=reviewer).post(version_url("DRAFT-01", 1, "return"), {"reason": "奖励金额写错了"})
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_publish_is_for_the_reviewer(draft, editor, reviewer):
    api_as(user=editor).post(version_url("DRAFT-01", 1, "submit"))
    assert_error(api_as(user=editor).post(version_url("DRAFT-01", 1, "publish")), 403, "permission_denied")
    response = api_as(user=reviewer).post(version_url("DRAFT-01", 1, "publish"))
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert_error(api_as(user=reviewer).post(version_url("DRAFT-01", 1, "publish")), 409, "conflict")


def test_retire_withdraws_a_published_version(published, reviewer):
    response = api_as(user=reviewer).post(version_url(CODE, 1, "retire"), {"reason": "政策到期"})
    assert response.status_code == 200
    assert response.json()["status"] == "retired"
    assert_error(api_as("enterprise").post(version_url(CODE, 1, "retire")), 403, "permission_denied")


# ------------------------------------------------------------------------------ import / export
def test_import_reports_accepted_and_rejected_items_by_file_name(make_item, editor):
    good = yaml.safe_dump(make_item(**SIMPLE, code="UP-01"), allow_unicode=True, sort_keys=False)
    bad_item = make_item(**SIMPLE, code="UP-02")
    bad_item["eligibility"] = {"all": [{"field": "no_such_field", "op": "eq", "value": 1}]}
    bad = yaml.safe_dump(bad_item, allow_unicode=True, sort_keys=False)
    files = [SimpleUploadedFile("good.yaml", good.encode()), SimpleUploadedFile("bad.yaml", bad.encode())]

    response = api_as(user=editor).post("/api/v1/policy-items/import/", {"files": files, "draft": "true"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert [(row["code"], row["status"], row["location"]) for row in data["accepted"]] == [
        ("UP-01", "draft", "good.yaml")
    ]
    [rejected] = data["rejected"]
    assert rejected["code"] == "UP-02"
    assert rejected["faults"][0]["path"].startswith("bad.yaml")
    assert "no_such_field" in str(rejected["faults"])
    upload = [SimpleUploadedFile("good.yaml", good.encode())]
    assert_error(
        api_as("enterprise").post("/api/v1/policy-items/import/", {"files": upload}), 403, "permission_denied"
    )


def test_export_gives_the_published_version_as_the_contract_yaml(published):
    response = api_as("enterprise").get(f"/api/v1/policy-items/{CODE}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    data = yaml.safe_load(response.content.decode())
    assert data["code"] == CODE
    assert data["reward"] == {"fixed": 100000}
    assert_error(api_as("enterprise").get("/api/v1/policy-items/NOPE/export/"), 404, "not_found")


# -------------------------------------------------------------------------------------- search
def test_search_finds_highlights_and_validates(published):
    data = api_as("enterprise").get("/api/v1/policies/search/", {"q": "初创企业", "kind": "item"}).json()
    assert data["count"] == 1
    assert data["results"][0]["code"] == CODE
    assert "<mark>" in data["results"][0]["title_html"]
    assert data["results"][0]["document"]["id"] == published.document_id
    error = assert_error(
        api_as("enterprise").get("/api/v1/policies/search/", {"page_size": 1000}), 400, "validation_failed"
    )
    assert "page_size" in error["fields"]


# ------------------------------------------------------------------------------------ matching
def test_enterprise_sees_its_own_matches_with_explanations(published):
    own, other = EnterpriseFactory(region_code="370102"), EnterpriseFactory(region_code="370102")
    client = api_as(user=EnterpriseUserFactory(enterprises=[own]))

    data = client.get(f"/api/v1/enterprises/{own.uscc}/policy-matches/").json()
    assert [(card["item_code"], card["amount"]) for card in data["qualified"]] == [(CODE, "100000.00")]
    assert data["qualified"][0]["reasons_met"]
    assert data["total_amount"] == "100000.00"
    assert client.post(f"/api/v1/enterprises/{own.uscc}/policy-matches/").status_code == 200
    assert_error(client.get(f"/api/v1/enterprises/{other.uscc}/policy-matches/"), 403, "permission_denied")


def test_impact_preview_is_for_policy_staff(published):
    EnterpriseFactory(region_code="370102")
    EnterpriseFactory(region_code="370202")
    data = api_as("policy_reviewer").get(version_url(CODE, 1, "impact"), {"as_of": "2026-06-01"}).json()
    assert (data["enterprise_count"], data["eligible_count"], data["total_amount"]) == (2, 1, "100000.00")
    assert data["as_of"] == "2026-06-01"
    assert_error(api_as("enterprise").get(version_url(CODE, 1, "impact")), 403, "permission_denied")


def test_match_runs_are_started_and_followed_by_reviewers(published, reviewer):
    response = api_as(user=reviewer).post(
        "/api/v1/policy-match-runs/", {"as_of": str(date(2026, 6, 1)), "item_codes": [CODE]}, format="json"
    )
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    assert MatchRun.objects.get(pk=run_id).item_codes == [CODE]
    runs = api_as(user=reviewer).get("/api/v1/policy-match-runs/").json()
    assert runs[0]["id"] == run_id  # newest first (publishing the item queued one before)
    assert api_as(user=reviewer).get(f"/api/v1/policy-match-runs/{run_id}/").json()["as_of"] == "2026-06-01"
    assert_error(api_as("enterprise").get("/api/v1/policy-match-runs/"), 403, "permission_denied")
