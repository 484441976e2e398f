"""factory_boy factories shared by every app's tests.

    DepartmentFactory()                       a city-level department with a unique code
    DepartmentFactory(district=True)          a district (区县) unit; DepartmentFactory(town=True, parent=d)
    UserFactory(role="handler")               staff of any role; staff get a department unless the role
                                              works city-wide (the three administrators, leader)
    UserFactory(system_admin=True)            the same through a trait (one per role, e.g. audit_admin=True)
    EnterpriseFactory()                       an enterprise with a valid GB 32100-2015 USCC in 济南 (3701xx)
    EnterpriseUserFactory(enterprises=[e])    an enterprise user linked to `e` (default: a new enterprise)

Every user's password is DEFAULT_PASSWORD (it meets the complexity rules). Its hash is computed once
per test run, because the production hasher is deliberately slow. Pass `password="..."` to get
another one. Sign in tests with `client.force_login(user)`: django-axes needs the request, which
`client.login()` does not pass to `authenticate`.
"""

import datetime
import functools
from decimal import Decimal
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.utils.module_loading import import_string
from stdnum.cn import uscc as stdnum_uscc

from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.enterprises.models import Enterprise

try:
    from huiqi.enterprises.uscc import make_uscc
except ImportError:  # pragma: no cover - before the enterprises app has it
    make_uscc = None  # type: ignore[assignment]

DEFAULT_PASSWORD = "Huiqi@2026test"

# Roles whose holders work for the whole city and need no department (see accounts.services).
CITY_WIDE_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.LEADER})


def default_password_hash() -> str:
    return _password_hash(DEFAULT_PASSWORD, settings.PASSWORD_HASHERS[0])


@functools.cache
def _password_hash(password: str, hasher: str) -> str:
    # Keyed by the hasher, since a test may switch settings.PASSWORD_HASHERS.
    return make_password(password, hasher=get_hasher_by_path(hasher))


def uscc_for(n: int, *, region_code: str = "370102", prefix: str = "91") -> str:
    """A valid USCC: registration authority + entity type, region, 9-character body, check character."""
    body = prefix + region_code + f"{n % 10**9:09d}"
    if make_uscc is not None:
        return make_uscc(body)
    return body + stdnum_uscc.calc_check_digit(body)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    level = DepartmentLevel.CITY
    region_code = "370100"
    parent = None

    class Params:
        district = factory.Trait(
            level=DepartmentLevel.DISTRICT,
            name=factory.Sequence(lambda n: f"测试区{n}"),
            region_code="370102",
        )
        town = factory.Trait(
            level=DepartmentLevel.TOWN,
            name=factory.Sequence(lambda n: f"测试街道{n}"),
            parent=factory.SubFactory("tests.factories.DepartmentFactory", district=True),
            region_code="370102",
        )


def _needs_department(user: Any) -> bool:
    return user.role not in CITY_WIDE_ROLES and user.role != Role.ENTERPRISE


def _role_traits() -> dict[str, factory.Trait]:
    return {role.value: factory.Trait(role=role.value) for role in Role}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.HANDLER
    department = factory.Maybe(
        factory.LazyAttribute(_needs_department),
        yes_declaration=factory.SubFactory(DepartmentFactory),
        no_declaration=None,
    )
    phone = factory.Sequence(lambda n: f"139{n % 10**8:08d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn")
    is_active = True
    # Django admin is for the system administrator only (accounts.services keeps is_staff in step).
    is_staff = factory.LazyAttribute(lambda u: u.role == Role.SYSTEM_ADMIN)
    password = factory.LazyFunction(default_password_hash)

    Params = type("Params", (), _role_traits())

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        # UserFactory(password="clear text") is the natural spelling: hash it.
        password = kwargs.get("password")
        if password and not _looks_hashed(password):
            kwargs["password"] = make_password(password)
        return kwargs


def _looks_hashed(value: str) -> bool:
    try:
        identify_hasher(value)
    except ValueError:
        return False
    return True


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise
        django_get_or_create = ("uscc",)

    uscc = factory.Sequence(lambda n: uscc_for(n + 1, region_code="370102"))
    name = factory.Sequence(lambda n: f"济南测试科技有限公司{n}")
    region_code = "370102"
    industry_code = "I6513"
    established_on = datetime.date(2018, 5, 20)
    ownership = "private"
    registered_capital = Decimal("5000000.00")
    employees = 40
    revenue = Decimal("12000000.00")
    total_assets = Decimal("8000000.00")
    tax_paid = Decimal("300000.00")
    rd_expense = Decimal("900000.00")
    tags = ""
    red_list = False
    contact_phone = factory.Sequence(lambda n: f"0531-8{n % 10**7:07d}")
    status = "active"
    size_class = "small"

    class Params:
        red = factory.Trait(red_list=True)
        unknown_facts = factory.Trait(
            registered_capital=None,
            employees=None,
            revenue=None,
            total_assets=None,
            tax_paid=None,
            rd_expense=None,
            size_class=None,
        )


class EnterpriseMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseMembership

    user = factory.SubFactory(UserFactory, role=Role.ENTERPRISE)
    enterprise = factory.SubFactory(EnterpriseFactory)
    capacity = EnterpriseMembership.Capacity.CONTACT


class EnterpriseUserFactory(UserFactory):
    """An enterprise user; `enterprises=[...]` links it (default: one new enterprise)."""

    role = Role.ENTERPRISE
    username = factory.Sequence(lambda n: f"ent{n}")
    full_name = factory.Sequence(lambda n: f"企业经办人{n}")

    @factory.post_generation
    def enterprises(obj: User, create: bool, extracted: list[Enterprise] | None, **kwargs: Any) -> None:  # noqa: N805
        if not create:
            return
        capacity = kwargs.get("capacity", EnterpriseMembership.Capacity.CONTACT)
        for enterprise in extracted if extracted is not None else [EnterpriseFactory()]:
            EnterpriseMembership.objects.get_or_create(
                user=obj, enterprise=enterprise, defaults={"capacity": capacity}
            )


def get_hasher_by_path(path: str) -> Any:
    return import_string(path)()
