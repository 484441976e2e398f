import datetime

import pytest
import time_machine
from django.core import checks
from django.urls import reverse
from django.utils import timezone

from huiqi.accounts import external_signin
from huiqi.accounts.enums import Role
from huiqi.accounts.models import User
from huiqi.core.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")


def sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --------------------------------------------------------------------------------------- password sign-in


def test_right_password_signs_in_and_is_audited(client):
    user = UserFactory(username="handler1")
    response = sign_in(client, "handler1", DEFAULT_PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.get(HOME).status_code == 200
    event = AuditEvent.objects.get(action="user.sign_in")
    assert (event.actor_id, event.object_id, event.source_ip) == (user.pk, str(user.pk), "10.1.2.3")
    assert event.after == {"method": "password"}


def test_wrong_password_shows_chinese_error_and_is_audited(client):
    user = UserFactory(username="handler1")
    response = sign_in(client, "handler1", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    event = AuditEvent.objects.get(action="user.sign_in_fail")
    assert event.actor_id is None
    assert event.object_id == str(user.pk)
    assert event.after == {"username": "handler1", "failures": 1, "locked_out": False}
    assert "wrong-password" not in str(event.after)


def test_unknown_username_failure_is_audited_by_name(client):
    sign_in(client, "nobody", "whatever-1A")
    event = AuditEvent.objects.get(action="user.sign_in_fail")
    assert (event.object_id, event.object_repr) == ("", "nobody")


def test_sign_out_is_audited(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("accounts:logout"))
    assert actions()[-1] == "user.sign_out"
    assert client.get(HOME).status_code == 302


# ------------------------------------------------------------------------------------------------ lock-out


def test_account_locks_after_the_failure_limit_and_shows_chinese_page(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="handler1")
    for _ in range(2):
        assert sign_in(client, "handler1", "wrong").status_code == 200
    locked = sign_in(client, "handler1", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "账号已被临时锁定" in page
    assert "连续 3 次" in page
    # The right password no longer helps while the lock lasts.
    again = sign_in(client, "handler1", DEFAULT_PASSWORD)
    assert again.status_code == 429
    assert client.get(HOME).status_code == 302
    assert actions().count("user.lock_out") == 1
    assert AuditEvent.objects.filter(action="user.lock_out").get().after["failures"] == 3


def test_lock_out_is_per_account_not_per_office_address(client, settings):
    """A whole office shares one NAT address: one person's lock-out must not lock the colleagues."""
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="clumsy")
    UserFactory(username="colleague")
    for _ in range(2):
        sign_in(client, "clumsy", "wrong", REMOTE_ADDR="10.9.9.9")
    response = sign_in(client, "colleague", DEFAULT_PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302


def test_lock_out_holds_across_addresses(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="target")
    sign_in(client, "target", "wrong", REMOTE_ADDR="10.0.0.1")
    sign_in(client, "target", "wrong", REMOTE_ADDR="10.0.0.2")
    assert sign_in(client, "target", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.3").status_code == 429


def test_lock_out_ends_after_the_cool_off(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 0.5
    UserFactory(username="handler1")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "handler1", "wrong")
        sign_in(client, "handler1", "wrong")
        assert sign_in(client, "handler1", DEFAULT_PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert sign_in(client, "handler1", DEFAULT_PASSWORD).status_code == 302


def test_security_admin_unlocks_from_the_account_page(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    victim = UserFactory(username="handler1")
    sign_in(client, "handler1", "wrong")
    sign_in(client, "handler1", "wrong")
    admin_client = client.__class__()
    admin_client.force_login(UserFactory(role=Role.SECURITY_ADMIN))
    page = admin_client.get(reverse("accounts:account_list")).content.decode()
    assert "已锁定" in page
    admin_client.post(reverse("accounts:account_unlock", args=[victim.pk]))
    assert "已锁定" not in admin_client.get(reverse("accounts:account_list")).content.decode()
    assert sign_in(client, "handler1", DEFAULT_PASSWORD).status_code == 302


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.DISPATCHER])
def test_account_page_is_for_the_security_admin_only(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("accounts:account_list")).status_code == 403


def test_axes_ip_warning_is_silenced_with_username_lockout(settings):
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    messages = checks.run_checks(tags=[checks.Tags.security])
    assert not [m for m in messages if m.id == "axes.W006" and not m.is_silenced()]


# ------------------------------------------------------------------------------------------ session timeout


def test_idle_session_expires_after_session_cookie_age(client, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    UserFactory(username="handler1")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "handler1", DEFAULT_PASSWORD)
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get(HOME).status_code == 200  # activity renews the session (SESSION_SAVE_EVERY_REQUEST)
    with time_machine.travel(start + datetime.timedelta(minutes=29 + 29), tick=False):
        assert client.get(HOME).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=29 + 29 + 31), tick=False):
        response = client.get(HOME)
    assert response.status_code == 302
    assert LOGIN in response["Location"]


def test_session_settings_meet_the_security_rules(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_AGE <= 30 * 60


# ------------------------------------------------------------------------------------------ password change


def test_password_change_page_changes_password_and_keeps_session(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("accounts:password_change"))
    assert "修改密码" in page.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password": "Spring#Lake2026",
            "new_password_again": "Spring#Lake2026",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Spring#Lake2026")
    assert client.get(HOME).status_code == 200
    assert "user.password_change" in actions()


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("abcdefghijkl", "abcdefghijkl", "至少 3 类"),
        ("Short1!", "Short1!", "密码太短"),
        ("Spring#Lake2026", "Spring#Lake2027", "两次输入的新密码不一致"),
    ],
)
def test_password_change_page_explains_refusals_in_chinese(client, new, again, message):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password": new, "new_password_again": again},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_page_rejects_wrong_old_password(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password": "Spring#Lake2026", "new_password_again": "Spring#Lake2026"},
    )
    assert "原密码不正确" in response.content.decode()


# ------------------------------------------------------------------------------------ external sign-in seam


class FakeProvider(external_signin.ExternalSignInProvider):
    """Stands for a city identity platform: the callback carries `?ticket=<username>`."""

    label = "政务统一身份认证"

    def authorization_url(self, request):
        return "https://idp.example/authorize?state=xyz&redirect_uri=" + request.build_absolute_uri(
            reverse("accounts:external_callback")
        )

    def authenticate_callback(self, request):
        user = User.objects.filter(username=request.GET.get("ticket", "")).first()
        if user is None:
            raise external_signin.ExternalSignInFailedError("统一身份认证账号未在本平台开通。")
        return user


FAKE_PATH = f"{__name__}.FakeProvider"


def test_login_page_has_no_external_button_when_not_configured(client, settings):
    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = ""
    assert "external-signin" not in client.get(LOGIN).content.decode()
    assert client.get(reverse("accounts:external_start")).status_code == 404
    assert client.get(reverse("accounts:external_callback")).status_code == 404


def test_configured_provider_shows_button_and_redirects_to_it(client, settings):
    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = FAKE_PATH
    page = client.get(LOGIN).content.decode()
    assert "external-signin" in page
    assert "政务统一身份认证" in page
    response = client.get(reverse("accounts:external_start"))
    assert response.status_code == 302
    assert response["Location"].startswith("https://idp.example/authorize")


def test_provider_callback_signs_in_the_local_account_and_audits_the_method(client, settings):
    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = FAKE_PATH
    user = UserFactory(username="handler1")
    response = client.get(reverse("accounts:external_callback"), {"ticket": "handler1"})
    assert response.status_code == 302
    assert client.get(HOME).status_code == 200
    event = AuditEvent.objects.get(action="user.sign_in")
    assert event.actor_id == user.pk
    assert event.after == {"method": "external:FakeProvider"}


def test_provider_callback_for_unknown_or_inactive_account_does_not_sign_in(client, settings):
    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = FAKE_PATH
    UserFactory(username="gone", is_active=False)
    expected = {"stranger": "未在本平台开通", "gone": "未能对应到本平台的有效账号"}
    for ticket, message in expected.items():
        response = client.get(reverse("accounts:external_callback"), {"ticket": ticket}, follow=True)
        assert message in response.content.decode()
        assert client.get(HOME).status_code == 302
    assert "user.sign_in" not in actions()
    assert actions().count("user.sign_in_fail") == 2


def test_registered_provider_is_selected_by_key(settings):
    @external_signin.register_provider("fake-idp")
    class KeyedProvider(FakeProvider):
        pass

    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = "fake-idp"
    provider = external_signin.get_provider()
    assert isinstance(provider, KeyedProvider)
    assert provider.key == "fake-idp"
    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = ""
    assert external_signin.get_provider() is None


def test_setting_that_names_no_provider_class_fails_loudly(settings):
    settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER = "huiqi.accounts.models.User"
    with pytest.raises(TypeError):
        external_signin.get_provider()
