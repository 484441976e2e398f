"""Chinese labels for the audit log's codes, for the audit administrator who reads it.

Events store stable English codes ("enterprise.import", "accounts.user", "web"): the codes are what
searches and exports match, and they must not change when wording does. The page shows a Chinese
label beside each code. Actions are dotted and verb-last (core.audit.record_event), so a label is
built from the thing and the verb; an action nobody has labelled yet shows its code alone.
"""

from django.apps import apps

THINGS = {
    "user": "账号",
    "department": "部门",
    "enterprise": "企业",
    "calendar": "工作日历",
    "audit": "审计日志",
    "notification": "消息",
    "policy": "政策",
    "policy_document": "政策文件",
    "policy_item": "政策条目",
    "policy_match": "政策匹配",
    "policy_match_run": "匹配任务",
    "appeal": "诉求",
    "ticket": "工单",
}

VERBS = {
    "create": "新建",
    "created": "新建",
    "update": "修改",
    "updated": "修改",
    "delete": "删除",
    "import": "导入",
    "export": "导出",
    "exported": "导出",
    "sign_in": "登录",
    "sign_out": "退出登录",
    "sign_in_fail": "登录失败",
    "lock_out": "锁定",
    "unlock": "解锁",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "token_issue": "签发接口令牌",
    "enterprise_link": "关联企业",
    "enterprise_unlink": "解除关联企业",
    "seeded": "初始化",
    "year_entered": "录入年度节假日安排",
    "day_set": "修改单日",
    "searched": "查询",
    "verified": "校验哈希链",
    "purged": "清理过期事件",
    "start": "开始",
    "finish": "完成",
    "publish": "发布",
    "bulk_publish": "批量发布",
    "create_draft": "新建草稿",
    "new_draft": "新建修订草稿",
    "update_draft": "修改草稿",
    "import_draft": "导入草稿",
    "submit": "提交审核",
    "approve": "审核通过",
    "reject": "退回",
    "withdraw": "撤回",
    "recorded": "记录",
    "recompute": "重新计算",
    "registered": "登记",
    "classified": "分类",
    "dispatched": "派单",
    "supervised": "督办",
    "deadlines_recomputed": "重算期限",
}

SOURCES = {"web": "网页", "api": "接口", "command": "命令行", "task": "后台任务", "system": "系统"}


def action_label(action: str) -> str:
    """ "enterprise.import" -> "企业导入"; "" when the thing or the verb has no label yet."""
    thing, _, verb = action.rpartition(".")
    if thing not in THINGS or verb not in VERBS:
        return ""
    return f"{THINGS[thing]}{VERBS[verb]}"


def source_label(source: str) -> str:
    return SOURCES.get(source, source)


def object_type_label(object_type: str) -> str:
    """ "accounts.user" -> "用户": the model's verbose name; "" for a type that is not a model."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return ""
    return str(model._meta.verbose_name)
