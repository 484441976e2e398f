"""The one API error format (core.api_errors), whatever raised the error: DRF's own checks (authentication,
serializer validation, unknown routes), a selector's or a service's ApplicationError, or a ConflictError."""

import pytest
from django.urls import include, path
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from huiqi.accounts.enums import Role
from huiqi.core.errors import ConflictError
from tests.factories import EnterpriseFactory, UserFactory, uscc_for

pytestmark = pytest.mark.django_db


class ConflictingApi(APIView):
    """Stands in for an endpoint whose service finds that someone else changed the thing first."""

    def post(self, request):  # type: ignore[no-untyped-def]
        raise ConflictError("该企业信息已被他人修改，请刷新后重试。", extra={"current_version": 7})

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({})


urlpatterns = [
    path("test-conflict/", ConflictingApi.as_view()),
    path("", include("huiqi.urls")),
]


def error_of(response, status: int) -> dict:
    """Asserts the one format: {"error": {"code": str, "message": non-empty str, ...}} and nothing else."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    if "fields" in error:
        assert all(isinstance(reasons, list) and reasons for reasons in error["fields"].values())
    return error


def token_client(role: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory(role=role)).key}")
    return client


def test_serializer_validation_is_400_with_each_field():
    response = token_client(Role.SYSTEM_ADMIN).post(
        "/api/v1/enterprises/", {"uscc": uscc_for(1), "established_on": "31/12/2020"}, format="json"
    )
    error = error_of(response, 400)
    assert error["code"] == "validation_failed"
    assert {"name", "region_code", "industry_code", "established_on"} <= set(error["fields"])


def test_missing_credentials_are_401_with_a_token_challenge():
    error = error_of(APIClient().get("/api/v1/enterprises/"), 401)
    assert error["code"] == "not_authenticated"


def test_a_wrong_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/enterprises/")
    assert error_of(response, 401)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


def test_a_role_without_access_is_403_with_a_chinese_reason():
    error = error_of(token_client(Role.AUDIT_ADMIN).get("/api/v1/enterprises/"), 403)
    assert error["code"] == "permission_denied"
    assert "审计管理员" in error["message"]


def test_an_unknown_enterprise_is_404():
    error = error_of(token_client(Role.AGENT).get(f"/api/v1/enterprises/{uscc_for(31337)}/"), 404)
    assert error["code"] == "not_found"
    assert uscc_for(31337) in error["message"]


@pytest.mark.urls("tests.core.test_api_errors")
def test_a_conflict_is_409_and_keeps_its_details():
    error = error_of(token_client(Role.SYSTEM_ADMIN).post("/test-conflict/"), 409)
    assert error["code"] == "conflict"
    assert error["current_version"] == 7


def test_an_application_error_from_a_service_names_every_faulty_field():
    existing = EnterpriseFactory()
    response = token_client(Role.SYSTEM_ADMIN).post(
        "/api/v1/enterprises/",
        {
            "uscc": existing.uscc,
            "name": "重复登记的公司",
            "region_code": "990000",
            "industry_code": "I6513",
            "established_on": "2020-01-01",
        },
        format="json",
    )
    error = error_of(response, 400)
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"uscc", "region_code"}
    assert "已登记" in error["fields"]["uscc"][0]


def test_an_unknown_api_route_is_404_in_the_one_format_not_an_html_page():
    error = error_of(token_client(Role.AGENT).get("/api/v1/no-such-thing/"), 404)
    assert error["code"] == "not_found"
    assert "/api/v1/no-such-thing/" in error["message"]


def test_malformed_json_is_400_with_a_chinese_message_and_the_parser_detail():
    existing = EnterpriseFactory(employees=40)
    response = token_client(Role.SYSTEM_ADMIN).patch(
        f"/api/v1/enterprises/{existing.uscc}/", "{bad", content_type="application/json"
    )
    error = error_of(response, 400)
    assert error["code"] == "parse_error"
    assert "无法解析" in error["message"]
    assert "JSON" in error["detail"]
    existing.refresh_from_db()
    assert existing.employees == 40
