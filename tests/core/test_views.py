"""core.views error handlers: people get Chinese pages, API clients the one JSON error format."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_a_chinese_404_page(client):
    client.force_login(UserFactory(role="handler"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "Not Found" not in html


def test_an_unknown_page_is_chinese_for_someone_not_signed_in(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_a_failed_csrf_check_is_a_chinese_page_saying_nothing_was_saved():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(role="handler"))
    response = client.post(reverse("accounts:password_change"), {"old_password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html
    assert "没有保存" in html


def test_a_server_error_page_is_chinese(client, settings):
    from huiqi.core import views

    response = views.server_error(client.get("/").wsgi_request)
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()
