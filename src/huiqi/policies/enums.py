"""Choices of the policy library that other apps may use (STYLE.md: apps share services, selectors, enums)."""

from django.db import models


class PolicyLevel(models.TextChoices):
    """The level of government that issued a policy (DATA-CONTRACT.md section 2, `level`)."""

    NATIONAL = "national", "国家级"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区县级"


class MatchStatus(models.TextChoices):
    """The three results of matching one enterprise against one item (DATA-CONTRACT.md section 2)."""

    ELIGIBLE = "eligible", "符合"
    INELIGIBLE = "ineligible", "不符合"
    NEEDS_INFO = "needs_info", "需补充信息"
