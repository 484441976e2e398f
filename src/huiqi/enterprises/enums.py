from django.db import models


class Ownership(models.TextChoices):
    PRIVATE = "private", "民营"
    STATE = "state", "国有"
    FOREIGN = "foreign", "外资"
    HMT = "hmt", "港澳台"
    COLLECTIVE = "collective", "集体"
    OTHER = "other", "其他"


class SizeClass(models.TextChoices):
    """企业规模, by 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号)."""

    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", "存续"
    SUSPENDED = "suspended", "停业"
    DEREGISTERED = "deregistered", "注销"
    REVOKED = "revoked", "吊销"


class ChangeSource(models.TextChoices):
    IMPORT = "import", "文件导入"
    USER = "user", "页面修改"
    API = "api", "接口"
    SYSTEM = "system", "系统"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
