"""`huiqi create_admin`: the first administrator of a fresh installation, with the same password rules
and audit event as the pages."""

import io

import pytest
from django.core.management import CommandError, call_command

from huiqi.accounts.models import User
from huiqi.core.models import AuditEvent
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

STRONG = "Huiqi@2026admin"


def run(*args, stdin="", monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("create_admin", *args, stdout=out)
    return out.getvalue()


def test_creates_a_system_administrator_from_a_password_on_stdin_and_audits_it(monkeypatch):
    output = run(
        "sysadmin", "--full-name", "张伟", "--password-stdin", stdin=STRONG + "\n", monkeypatch=monkeypatch
    )
    user = User.objects.get(username="sysadmin")
    assert user.role == "system_admin"
    assert user.is_staff  # the Django admin is the system administrator's tool
    assert user.check_password(STRONG)
    assert "已新建系统管理员账号“sysadmin”" in output
    event = AuditEvent.objects.get(action="user.create")
    assert event.source == "command"
    assert event.actor_id is None


def test_creates_a_security_administrator_in_a_department(monkeypatch):
    department = DepartmentFactory(code="370100-DSJ")
    run(
        "secadmin",
        "--full-name",
        "郑雪",
        "--role",
        "security_admin",
        "--department",
        "370100-DSJ",
        "--password-stdin",
        stdin=STRONG,
        monkeypatch=monkeypatch,
    )
    user = User.objects.get(username="secadmin")
    assert (user.role, user.department) == ("security_admin", department)
    assert not user.is_staff


def test_a_weak_password_is_refused_with_the_rules_and_creates_nothing(monkeypatch):
    with pytest.raises(CommandError, match="密码不符合要求"):
        run("sysadmin", "--full-name", "张伟", "--password-stdin", stdin="123456\n", monkeypatch=monkeypatch)
    assert not User.objects.exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_a_taken_username_is_refused(monkeypatch):
    run("sysadmin", "--full-name", "张伟", "--password-stdin", stdin=STRONG, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="已被使用"):
        run("SysAdmin", "--full-name", "李四", "--password-stdin", stdin=STRONG, monkeypatch=monkeypatch)
    assert User.objects.count() == 1


def test_an_unknown_department_code_is_refused_before_asking_for_a_password(monkeypatch):
    with pytest.raises(CommandError, match="没有代码为“NOPE”的部门"):
        run(
            "sysadmin",
            "--full-name",
            "张伟",
            "--department",
            "NOPE",
            "--password-stdin",
            monkeypatch=monkeypatch,
        )


def test_only_administrator_roles_can_be_created():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("create_admin", "h1", "--full-name", "x", "--role", "handler", "--password-stdin")


def test_without_a_terminal_or_stdin_flag_it_says_how_to_pass_the_password(monkeypatch):
    with pytest.raises(CommandError, match="--password-stdin"):
        run("sysadmin", "--full-name", "张伟", monkeypatch=monkeypatch)
    assert not User.objects.exists()
