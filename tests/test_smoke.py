import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_sign_in_page_speaks_chinese(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "登录惠企服务平台" in response.content.decode()


@pytest.mark.django_db
def test_home_requires_sign_in(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
