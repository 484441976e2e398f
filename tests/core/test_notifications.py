"""The notifications outbox: idempotent notify, delivery through backends, retries, inbox services."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from huiqi.core import selectors, tasks
from huiqi.core.errors import NotFoundError, ValidationFailedError
from huiqi.core.models import Notification
from huiqi.core.notifications import backends, services
from huiqi.core.notifications.backends import NotificationBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BACKEND_PATH = "tests.core.test_notifications"


class CountingBackend(NotificationBackend):
    """Records every send; fails the first `failures` sends."""

    channel = "email"
    sent: list[int] = []
    failures = 0

    def send(self, notification):
        if CountingBackend.failures > 0:
            CountingBackend.failures -= 1
            raise ConnectionError("邮件服务器无响应")
        CountingBackend.sent.append(notification.pk)


@pytest.fixture
def counting_email(settings):
    CountingBackend.sent = []
    CountingBackend.failures = 0
    settings.HUIQI_NOTIFICATION_BACKENDS = {"email": f"{BACKEND_PATH}.CountingBackend"}
    return CountingBackend


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Runs the after-commit enqueues (and the retries they enqueue) as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def notify(recipients, **kwargs):
    arguments = {"event_key": "appeal.7.replied", "subject": "诉求已答复", "body": "您的诉求已答复。"}
    arguments.update(kwargs)
    return services.notify(recipients=recipients, **arguments)


# --- notify -----------------------------------------------------------------------------------


def test_same_event_twice_stores_one_row_per_channel_and_sends_once(counting_email, run_on_commit):
    user = UserFactory()
    first = run_on_commit(notify, [user], channels=("inbox", "email"))
    second = run_on_commit(notify, [user], channels=("inbox", "email"))
    assert Notification.objects.count() == 2
    assert {n.pk for n in first} == {n.pk for n in second}
    email = Notification.objects.get(channel="email")
    assert counting_email.sent == [email.pk]
    assert email.status == Notification.Status.SENT
    assert email.sent_at is not None
    assert Notification.objects.get(channel="inbox").status == Notification.Status.SENT


def test_a_new_channel_for_the_same_event_sends_only_that_channel(counting_email, run_on_commit):
    user = UserFactory()
    run_on_commit(notify, [user], channels=("inbox",))
    run_on_commit(notify, [user], channels=("inbox", "email"))
    assert Notification.objects.filter(recipient=user).count() == 2
    assert len(counting_email.sent) == 1


def test_delivery_waits_for_the_commit(counting_email, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([user], channels=("email",))
    assert counting_email.sent == []
    assert Notification.objects.get().status == Notification.Status.PENDING
    for callback in callbacks:
        callback()
    assert len(counting_email.sent) == 1


def test_many_recipients_get_one_row_each_and_inactive_users_none(run_on_commit):
    users = [UserFactory() for _ in range(5)]
    inactive = UserFactory(is_active=False)
    rows = run_on_commit(notify, [*users, users[0], inactive])
    assert sorted(n.recipient_id for n in rows) == sorted(u.pk for u in users)


def test_unknown_channel_is_refused():
    with pytest.raises(ValidationFailedError, match="pigeon"):
        notify([UserFactory()], channels=("pigeon",))


def test_a_delivered_notification_is_never_sent_again(counting_email, run_on_commit):
    [notification] = run_on_commit(notify, [UserFactory()], channels=("email",))
    assert services.deliver_notification(notification_id=notification.pk) == "sent"
    tasks.deliver_notification.enqueue(notification_id=notification.pk)
    assert counting_email.sent == [notification.pk]


# --- retries ----------------------------------------------------------------------------------


def test_failing_backend_is_retried_until_it_succeeds(counting_email, run_on_commit):
    counting_email.failures = 2
    [notification] = run_on_commit(notify, [UserFactory()], channels=("email",))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3
    assert notification.last_error == ""
    assert counting_email.sent == [notification.pk]


def test_delivery_gives_up_after_the_maximum_attempts(counting_email, run_on_commit, settings):
    settings.HUIQI_NOTIFICATION_MAX_ATTEMPTS = 3
    counting_email.failures = 10
    [notification] = run_on_commit(notify, [UserFactory()], channels=("email",))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 3
    assert "ConnectionError" in notification.last_error
    assert "邮件服务器无响应" in notification.last_error
    assert counting_email.failures == 7
    assert counting_email.sent == []


def test_a_failed_attempt_is_enqueued_again_after_the_backoff(
    counting_email, monkeypatch, run_on_commit, settings
):
    settings.HUIQI_NOTIFICATION_RETRY_SECONDS = 60
    counting_email.failures = 1
    enqueued: list[tuple[list[int], dt.datetime | None]] = []
    monkeypatch.setattr(
        services, "_enqueue_deliveries", lambda ids, run_after=None: enqueued.append((ids, run_after))
    )
    notification = Notification.objects.create(
        event_key="e", recipient=UserFactory(), channel="email", subject="s", body="b"
    )
    before = timezone.now()
    assert run_on_commit(services.deliver_notification, notification_id=notification.pk) == "pending"
    notification.refresh_from_db()
    assert notification.attempts == 1
    [(ids, run_after)] = enqueued
    assert ids == [notification.pk]
    assert before + dt.timedelta(seconds=60) <= run_after <= timezone.now() + dt.timedelta(seconds=60)


def test_backoff_doubles_and_is_capped_at_an_hour(settings):
    settings.HUIQI_NOTIFICATION_RETRY_SECONDS = 60
    assert [services.retry_delay(n) for n in (1, 2, 3)] == [dt.timedelta(minutes=m) for m in (1, 2, 4)]
    assert services.retry_delay(20) == dt.timedelta(hours=1)


def test_retry_is_enqueued_with_run_after_on_a_deferring_backend(counting_email, monkeypatch, run_on_commit):
    counting_email.failures = 1
    calls = []

    class FakeTask:
        def __init__(self, run_after=None):
            self.run_after = run_after

        def get_backend(self):
            return type("B", (), {"supports_defer": True})()

        def using(self, *, run_after):
            return FakeTask(run_after)

        def enqueue(self, *, notification_id):
            calls.append((notification_id, self.run_after))

    monkeypatch.setattr(tasks, "deliver_notification", FakeTask())
    notification = Notification.objects.create(
        event_key="e", recipient=UserFactory(), channel="email", subject="s", body="b"
    )
    run_on_commit(services.deliver_notification, notification_id=notification.pk)
    assert len(calls) == 1
    assert calls[0][0] == notification.pk
    assert calls[0][1] is not None


def test_requeue_sends_notifications_left_pending(counting_email):
    notification = Notification.objects.create(
        event_key="e", recipient=UserFactory(), channel="email", subject="s", body="b"
    )
    assert services.requeue_pending_notifications(older_than=dt.timedelta(0)) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


# --- backends ---------------------------------------------------------------------------------


def test_email_goes_through_django_mail(run_on_commit, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(email="wang@example.gov.cn")
    run_on_commit(notify, [user], channels=("email",), link="/appeals/7/")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.gov.cn"]
    assert message.subject == "诉求已答复"
    assert "您的诉求已答复。" in message.body
    assert "/appeals/7/" in message.body


def test_sms_is_appended_to_the_sms_file(run_on_commit, settings, tmp_path):
    settings.HUIQI_SMS_FILE_DIR = tmp_path / "sms"
    settings.HUIQI_SMS_BACKEND = "huiqi.core.notifications.backends.FileSmsBackend"
    a, b = UserFactory(phone="13912345678"), UserFactory(phone="13800000000")
    run_on_commit(notify, [a, b], channels=("sms",))
    [log] = (tmp_path / "sms").iterdir()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert any("13912345678" in line and "【惠企】诉求已答复：您的诉求已答复。" in line for line in lines)


def test_console_sms_backend_prints_the_message(capsys):
    notification = Notification(
        recipient=UserFactory.build(phone="13912345678"), channel="sms", subject="标题", body="内容"
    )
    backends.ConsoleSmsBackend().send(notification)
    assert "13912345678 【惠企】标题：内容" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("channel", "field", "reason"), [("sms", "phone", "手机号"), ("email", "email", "邮箱")]
)
def test_missing_address_is_skipped_with_the_reason(
    run_on_commit, settings, tmp_path, channel, field, reason
):
    settings.HUIQI_SMS_FILE_DIR = tmp_path / "sms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(**{field: ""})
    [notification] = run_on_commit(notify, [user], channels=(channel,))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert reason in notification.last_error
    assert notification.attempts == 0
    assert len(mail.outbox) == 0
    assert not (tmp_path / "sms").exists()


def test_registry_picks_the_sms_backend_from_settings(settings):
    settings.HUIQI_SMS_BACKEND = "huiqi.core.notifications.backends.ConsoleSmsBackend"
    assert isinstance(backends.backend_for("sms"), backends.ConsoleSmsBackend)
    assert isinstance(backends.backend_for("inbox"), backends.InboxBackend)
    with pytest.raises(LookupError):
        backends.backend_for("pigeon")


# --- inbox ------------------------------------------------------------------------------------


def test_inbox_shows_only_own_inbox_messages_and_unread_count(run_on_commit):
    alice, bob = UserFactory(), UserFactory()
    run_on_commit(notify, [alice], event_key="a1", channels=("inbox", "email"))
    run_on_commit(notify, [alice], event_key="a2")
    run_on_commit(notify, [bob], event_key="b1")
    assert {n.event_key for n in selectors.inbox_for(user=alice)} == {"a1", "a2"}
    assert selectors.unread_count_for(user=alice) == 2
    assert selectors.unread_count_for(user=bob) == 1


def test_mark_read_marks_own_message_once(run_on_commit):
    alice = UserFactory()
    [n] = run_on_commit(notify, [alice])
    first = services.mark_read(user=alice, notification_id=n.pk).read_at
    again = services.mark_read(user=alice, notification_id=n.pk).read_at
    assert first is not None
    assert again == first
    assert selectors.unread_count_for(user=alice) == 0
    assert list(selectors.inbox_for(user=alice, unread_only=True)) == []


def test_nobody_marks_another_users_message(run_on_commit):
    alice, bob = UserFactory(), UserFactory(role="audit_admin")
    [n] = run_on_commit(notify, [alice])
    with pytest.raises(NotFoundError):
        services.mark_read(user=bob, notification_id=n.pk)
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_touches_only_own_unread_messages(run_on_commit):
    alice, bob = UserFactory(), UserFactory()
    run_on_commit(notify, [alice, bob], event_key="x")
    run_on_commit(notify, [alice], event_key="y")
    assert services.mark_all_read(user=alice) == 2
    assert selectors.unread_count_for(user=bob) == 1
