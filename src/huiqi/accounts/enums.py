from django.db import models


class Role(models.TextChoices):
    """Staff roles, and the enterprise user. One role per account: 等保 level 3 wants the three
    administrators (system, security, audit) to be separate people, so roles are never combined."""

    AGENT = "agent", "坐席"
    DISPATCHER = "dispatcher", "派单员"
    HANDLER = "handler", "承办人"
    SUPERVISOR = "supervisor", "督办员"
    SPECIALIST = "specialist", "专员"
    POLICY_EDITOR = "policy_editor", "政策编辑"
    POLICY_REVIEWER = "policy_reviewer", "政策审核"
    LEADER = "leader", "领导"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"
    ENTERPRISE = "enterprise", "企业用户"


class DepartmentLevel(models.TextChoices):
    CITY = "city", "市级"
    DISTRICT = "district", "区县级"
    TOWN = "town", "镇街级"
