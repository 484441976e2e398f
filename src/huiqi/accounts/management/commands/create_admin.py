"""`huiqi create_admin`: the first administrators of a new installation, from the server's shell.

A fresh production database has no account, and the pages need a system administrator to create
the others. The three administrators of 等保 level 3 (系统 / 安全 / 审计管理员, GB/T 22239-2019
8.1.4.2 三权分立) are separate accounts of separate people; this command creates one of them through
the same service as the pages (password rules, audit event with the source "command").

    huiqi create_admin sysadmin --full-name 张伟                    # asks for the password twice
    echo "$PASSWORD" | huiqi create_admin secadmin --full-name 郑雪 --role security_admin --password-stdin
"""

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.accounts import services
from huiqi.accounts.enums import Role
from huiqi.accounts.models import Department
from huiqi.core import request_context
from huiqi.core.errors import ApplicationError

ADMIN_ROLES = [Role.SYSTEM_ADMIN.value, Role.SECURITY_ADMIN.value, Role.AUDIT_ADMIN.value]


class Command(BaseCommand):
    help = (
        "新建管理员账号（系统管理员、安全管理员或审计管理员，三员分立）：用于新安装的平台建立第一个账号。"
        " Creates an administrator account (system, security or audit administrator)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="用户名 (username)")
        parser.add_argument("--full-name", required=True, help="姓名 (the person's name)")
        parser.add_argument(
            "--role",
            choices=ADMIN_ROLES,
            default=Role.SYSTEM_ADMIN.value,
            help="角色，默认 system_admin (role, default system_admin)",
        )
        parser.add_argument(
            "--department", default="", help="所属部门代码，可不填 (department code, optional)"
        )
        parser.add_argument("--phone", default="", help="手机号 (optional)")
        parser.add_argument("--email", default="", help="电子邮箱 (optional)")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="从标准输入读取密码（一行），用于脚本 (read the password from standard input)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        department = None
        if code := options["department"].strip():
            department = Department.objects.filter(code=code).first()
            if department is None:
                raise CommandError(f"没有代码为“{code}”的部门。不填 --department 则不属于任何部门。")
        password = self._password(options["password_stdin"])
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            user = services.create_staff_user(
                actor=None,
                username=options["username"],
                password=password,
                role=options["role"],
                department=department,
                full_name=options["full_name"],
                phone=options["phone"],
                email=options["email"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            request_context.reset(token)
        self.stdout.write(f"已新建{user.get_role_display()}账号“{user.username}”（{user.full_name}）。")
        if user.role == Role.SYSTEM_ADMIN:
            self.stdout.write(
                "下一步：用此账号登录，在“账号与部门”中建立部门树和其他账号；安全管理员和审计管理员"
                "须由另外两人担任（三员分立），也可用本命令加 --role security_admin / audit_admin 新建。"
            )

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("标准输入中没有密码。")
            return password
        if not sys.stdin.isatty():
            raise CommandError(
                "没有终端可以输入密码：请在终端中运行，或用 --password-stdin 从标准输入传入密码。"
            )
        password = getpass.getpass("密码 Password: ")
        if password != getpass.getpass("再次输入密码 Password (again): "):
            raise CommandError("两次输入的密码不一致，未新建账号。")
        return password
