"""The inbox page and GET /api/v1/notifications/, POST /api/v1/notifications/<id>/read/."""

import pytest
from django.urls import reverse

from huiqi.core.models import Notification
from huiqi.core.notifications import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def message(user, key="appeal.1.replied", **kwargs):
    [notification] = services.notify(
        recipients=[user],
        event_key=key,
        subject=kwargs.pop("subject", "诉求已答复"),
        body="请查看答复。",
        **kwargs,
    )
    return notification


@pytest.fixture
def alice(client):
    user = UserFactory(full_name="爱丽丝")
    client.force_login(user)
    return user


def test_inbox_page_lists_own_messages_and_the_menu_shows_the_unread_badge(client, alice):
    message(alice, subject="我的消息")
    message(UserFactory(), key="other", subject="别人的消息")
    response = client.get(reverse("core:inbox"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "我的消息" in html
    assert "别人的消息" not in html
    inbox_item = next(item for item in response.context["nav"] if item["url"] == reverse("core:inbox"))
    assert inbox_item["badge"] == "1"


def test_marking_read_from_the_page_goes_to_the_message_link(client, alice):
    n = message(alice, link="/enterprises/")
    response = client.post(reverse("core:inbox-read", args=[n.pk]), {"next": "/enterprises/"})
    assert response.status_code == 302
    assert response["Location"] == "/enterprises/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_page_refuses_to_redirect_off_site(client, alice):
    n = message(alice)
    response = client.post(reverse("core:inbox-read", args=[n.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("core:inbox")


def test_user_cannot_mark_someone_elses_message_from_the_page(client, alice):
    other = message(UserFactory(), key="other")
    assert client.post(reverse("core:inbox-read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read_from_the_page(client, alice):
    message(alice, key="a")
    message(alice, key="b")
    client.post(reverse("core:inbox-read-all"))
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_api_lists_only_own_inbox_messages(client, alice):
    mine = message(alice)
    message(UserFactory(), key="other")
    services.notify(recipients=[alice], event_key="mail", subject="邮件", body="b", channels=("email",))
    data = client.get(reverse("api-notifications")).json()
    assert [item["id"] for item in data["results"]] == [mine.pk]
    assert data["results"][0]["is_read"] is False


def test_api_unread_filter_and_mark_read(client, alice):
    first, second = message(alice, key="a"), message(alice, key="b")
    response = client.post(reverse("api-notification-read", args=[first.pk]))
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    unread = client.get(reverse("api-notifications"), {"unread": "true"}).json()
    assert [item["id"] for item in unread["results"]] == [second.pk]


def test_api_user_b_cannot_read_or_mark_user_as_messages(client, alice):
    bob = UserFactory()
    n = message(bob)
    assert client.get(reverse("api-notifications")).json()["count"] == 0
    response = client.post(reverse("api-notification-read", args=[n.pk]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    n.refresh_from_db()
    assert n.read_at is None


def test_api_requires_sign_in(client):
    assert client.get(reverse("api-notifications")).status_code in (401, 403)
