from django.contrib.auth.models import AbstractUser
from django.db import models

from huiqi.accounts.enums import DepartmentLevel, Role


class Department(models.Model):
    """A government unit (部门 / 承办单位); a tree of city, district and town units."""

    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    level = models.CharField("层级", max_length=10, choices=DepartmentLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region_code = models.CharField("区划代码", max_length=6, blank=True)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: staff with one role and a department, or an enterprise user."""

    role = models.CharField("角色", max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_enterprise_user(self) -> bool:
        return self.role == Role.ENTERPRISE


class EnterpriseMembership(models.Model):
    """Links an enterprise user to an enterprise it acts for (法定代表人, 经办人)."""

    class Capacity(models.TextChoices):
        LEGAL_REPRESENTATIVE = "legal_representative", "法定代表人"
        CONTACT = "contact", "经办人"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enterprise_memberships")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="memberships"
    )
    capacity = models.CharField("身份", max_length=30, choices=Capacity.choices, default=Capacity.CONTACT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "企业用户关联"
        verbose_name_plural = "企业用户关联"
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise"], name="unique_enterprise_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_capacity_display()}"
