"""People of the appeals tests: one department with its handler, and the hotline centre's roles."""

import pytest

from huiqi.accounts.enums import Role
from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, UserFactory


@pytest.fixture
def department(db):
    return DepartmentFactory(name="市工业和信息化局")


@pytest.fixture
def other_department(db):
    return DepartmentFactory(name="市人力资源和社会保障局")


@pytest.fixture
def handler(department):
    return UserFactory(role=Role.HANDLER, department=department, full_name="李承办")


@pytest.fixture
def dispatcher(db):
    return UserFactory(role=Role.DISPATCHER, full_name="赵派单")


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.AGENT, full_name="钱坐席")


@pytest.fixture
def supervisor(db):
    return UserFactory(role=Role.SUPERVISOR, full_name="孙督办")


@pytest.fixture
def leader(db):
    return UserFactory(role=Role.LEADER, department=None, full_name="周市长")


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory(name="济南精工机械有限公司", contact_phone="0531-88886666")


@pytest.fixture
def red_enterprise(db):
    return EnterpriseFactory(name="济南重点装备制造有限公司", red=True, contact_phone="0531-87776666")


@pytest.fixture
def enterprise_user(enterprise):
    return EnterpriseUserFactory(enterprises=[enterprise], full_name="王经理", phone="13912345678")
