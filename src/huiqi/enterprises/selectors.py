"""Reads of the enterprise registry (市场主体库), with who may see what.

Visibility (ARCHITECTURE.md: "an enterprise sees its own data only"):
- staff whose work involves enterprises (every staff role except the security and audit
  administrators) read the whole registry: it is the city's shared reference data, and appeals,
  policies and specialists all start from it;
- enterprise users read only the enterprises they act for (EnterpriseMembership);
- the security administrator and the audit administrator read none of it: 等保 level 3 separates
  their duties from business data (GB/T 22239-2019 8.1.4.2 三权分立, 最小授权).

Contact phones (ARCHITECTURE.md: personal data masked in lists and exports unless the role needs it).
`can_see_full_phone` is the one place that decides. Full numbers go to the roles that call
enterprises back as part of their job:
- agent (坐席): recognises callers and makes the 回访 follow-up calls;
- specialist (专员): serves assigned enterprises one-to-one and phones them;
- system_admin: maintains the registry, so must see (and correct) the number it edits;
- an enterprise user: it is the enterprise's own number.
Everyone else (dispatcher, handler, supervisor, policy staff, leader) sees 138****5678: a dispatcher
routes tickets and a handler works a ticket whose appeal carries its own contact; none of them needs
the registry's number to do it.

Who changes the registry from the pages and the API: the system administrator (`can_edit_registry`,
`can_import_enterprises`). Registry data comes from the 市场监管 sync and the administrator's
corrections; dispatchers and the others read it. (The service would also let an enterprise user
correct its own contact phone; no page offers that yet.)

Who exports (`can_export_enterprises`): the system administrator, leaders, supervisors and
specialists. A bulk export takes the registry out of the platform, so the roles that only look up
one enterprise at a time (agent, dispatcher, handler, policy staff) do not get it; the export service
masks phones for everyone but the system administrator.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.core.db import prepared_cursor
from huiqi.core.errors import NotFoundError, PermissionDeniedError
from huiqi.core.masking import mask_phone
from huiqi.core.reference import industries, regions
from huiqi.enterprises.enums import ChangeSource, EnterpriseStatus, Ownership, SizeClass
from huiqi.enterprises.io.reader import RowError
from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange
from huiqi.rules import derived

FULL_PHONE_ROLES = frozenset({Role.AGENT.value, Role.SPECIALIST.value, Role.SYSTEM_ADMIN.value})
REGISTRY_EDITOR_ROLES = frozenset({Role.SYSTEM_ADMIN.value})
IMPORT_ROLES = frozenset({Role.SYSTEM_ADMIN.value})
# Bulk export carries the whole registry out of the platform: only those who maintain it or direct
# the work (leader, supervisor) and the specialists who serve enterprises take it; phones per role.
EXPORT_ROLES = frozenset(
    {Role.SYSTEM_ADMIN.value, Role.LEADER.value, Role.SUPERVISOR.value, Role.SPECIALIST.value}
)

ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "uscc"),
    "uscc": ("uscc",),
    "-established_on": ("-established_on", "uscc"),
    "established_on": ("established_on", "uscc"),
    "-updated_at": ("-updated_at", "uscc"),
}
DEFAULT_ORDER = "name"

# Suggestions for the tag filter (free text is accepted too): the usual labels of Chinese
# enterprise-support work (工信部 专精特新; 科技部 高新技术企业 / 科技型中小企业; 统计 规上).
COMMON_TAGS = (
    "高新技术企业",
    "科技型中小企业",
    "专精特新中小企业",
    "专精特新“小巨人”企业",
    "创新型中小企业",
    "规上工业企业",
    "瞪羚企业",
    "独角兽企业",
    "上市企业",
    "外贸企业",
)

_USCC_FRAGMENT = re.compile(r"^[0-9A-Z]{2,18}$")
_SPACES = re.compile(r"\s+")


def compact_code(value: str) -> str:
    """Upper case, no spaces: the form in which USCCs are stored (GB 32100-2015 uses no lower case)."""
    return _SPACES.sub("", value or "").upper()


# -- who may do what -------------------------------------------------------------------------


def _role(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "role", None)


def can_read_registry(user: Any) -> bool:
    """True for staff who read the whole registry (not for enterprise users: they read their own)."""
    return account_selectors.can_view_registry(user)


def can_see_full_phone(user: Any) -> bool:
    """The one decision on unmasked contact phones (see the module docstring for why these roles)."""
    role = _role(user)
    return role in FULL_PHONE_ROLES or role == Role.ENTERPRISE.value


def can_edit_registry(user: Any) -> bool:
    return _role(user) in REGISTRY_EDITOR_ROLES


def can_import_enterprises(user: Any) -> bool:
    return _role(user) in IMPORT_ROLES


def can_export_enterprises(user: Any) -> bool:
    return _role(user) in EXPORT_ROLES


def can_export_full_phones(user: Any) -> bool:
    """Bulk exports carry full phones for the system administrator only (module docstring): a
    specialist or an agent needs one enterprise's number on its page, not the city's in a file."""
    return can_edit_registry(user)


def phone_for(user: Any, phone: str | None) -> str:
    """The contact phone as this user may see it."""
    return (phone or "") if can_see_full_phone(user) else mask_phone(phone)


# -- the registry ----------------------------------------------------------------------------


def enterprises_visible_to(*, user: Any) -> QuerySet[Enterprise]:
    """Every enterprise `user` may read; PermissionDeniedError for roles that read none."""
    role = _role(user)
    if role is None:
        raise PermissionDeniedError("请先登录。")
    if account_selectors.can_view_registry(user):
        return Enterprise.objects.all()
    if role == Role.ENTERPRISE.value:
        return Enterprise.objects.filter(pk__in=account_selectors.enterprise_ids_for(user))
    raise PermissionDeniedError(f"{Role(role).label}不查阅市场主体库（等保三级：管理员职责分离）。")


#: What appeal registration reads of an enterprise (enterprise_for_appeal); the rest stays deferred.
APPEAL_FIELDS = ("id", "uscc", "name", "red_list")


def enterprise_for_appeal(*, user: Any, uscc: str) -> Enterprise | None:
    """The enterprise of a USCC among those `user` may read, with only APPEAL_FIELDS loaded (any other
    field is read when first used), or None. For the roles that read the whole registry (the 12345
    platform's system account among them) it is one plain query: the push looks an enterprise up on
    every registration, and composing it through the ORM cost more than the registration's
    inserts (benchmarks/README.md, "Appeal intake throughput")."""
    code = compact_code(uscc)
    if not account_selectors.can_view_registry(user):
        visible = enterprises_visible_to(user=user).filter(uscc=code).only(*APPEAL_FIELDS).order_by()
        return next(iter(visible[:1]), None)
    columns = ", ".join(connection.ops.quote_name(name) for name in APPEAL_FIELDS)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {connection.ops.quote_name(Enterprise._meta.db_table)} WHERE uscc = %s",
            [code],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, found_uscc, name, red_list = row
    # SQLite gives booleans as 0/1: the one conversion this row needs, made here.
    return Enterprise.from_db(connection.alias, list(APPEAL_FIELDS), (pk, found_uscc, name, bool(red_list)))


def region_prefix(region_code: str) -> str:
    """The GB/T 2260 prefix that covers a region and every region below it: 370000 -> 37, 370100 -> 3701.

    A district code (370102) stays whole. Lets one filter pick a province, a city or a district.
    """
    code = (region_code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return code
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _tag_q(tag: str) -> Q:
    # tags are stored sorted and ";"-joined, so a tag is the whole field, its start, end or a middle part.
    return (
        Q(tags=tag)
        | Q(tags__startswith=f"{tag};")
        | Q(tags__endswith=f";{tag}")
        | Q(tags__contains=f";{tag};")
    )


def _prefix_q(field_name: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a range rather than LIKE 'prefix%': SQLite's LIKE is
    case-insensitive and so cannot use the field's index; a range can, on every engine. Codes (USCC,
    region, industry) are upper-case ASCII, all below U+FFFF."""
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + "\uffff"})


def _text_q(text: str) -> Q:
    """A name containing `text`, or a USCC starting with it.

    Six or more letters and digits that begin like a code (a registration authority 1-9, A, N or Y,
    then a digit: "913701", "91370102MA") are taken as the start of a code alone: enterprise names
    do not look like that, and leaving the name out turns a scan of the registry into an index lookup.
    """
    compact = compact_code(text)
    if _USCC_FRAGMENT.match(compact):
        if len(compact) >= 6 and compact[0] in "123456789ANY" and compact[1].isdigit():
            return _prefix_q("uscc", compact)
        return Q(name__icontains=text) | _prefix_q("uscc", compact)
    return Q(name__icontains=text)


def search_enterprises(
    *,
    user: Any,
    q: str = "",
    region_code: str = "",
    industry_section: str = "",
    industry_code: str = "",
    size_class: str = "",
    red_list: bool | None = None,
    tag: str = "",
    status: str = "",
    ownership: str = "",
    order: str = DEFAULT_ORDER,
) -> QuerySet[Enterprise]:
    """The registry as `user` may see it, filtered. Empty filters are ignored.

    `q` matches a name containing it (case-insensitive, whitespace collapsed) or, when it looks like
    a code, a USCC starting with it (case and spaces ignored). `region_code` and `industry_code`
    match by prefix, so a city or a division picks everything below it. `size_class` "unknown"
    picks the enterprises whose size cannot be determined.
    """
    queryset = enterprises_visible_to(user=user)
    text = _SPACES.sub(" ", q or "").strip()
    if text:
        queryset = queryset.filter(_text_q(text))
    if region_code:
        queryset = queryset.filter(_prefix_q("region_code", region_prefix(region_code)))
    if industry_code:
        queryset = queryset.filter(_prefix_q("industry_code", compact_code(industry_code)))
    elif industry_section:
        queryset = queryset.filter(_prefix_q("industry_code", compact_code(industry_section)[:1]))
    if size_class == "unknown":
        queryset = queryset.filter(size_class__isnull=True)
    elif size_class:
        queryset = queryset.filter(size_class=size_class)
    if red_list is not None:
        queryset = queryset.filter(red_list=red_list)
    if tag and tag.strip():
        queryset = queryset.filter(_tag_q(tag.strip()))
    if status:
        queryset = queryset.filter(status=status)
    if ownership:
        queryset = queryset.filter(ownership=ownership)
    return queryset.order_by(*ORDERINGS.get(order, ORDERINGS[DEFAULT_ORDER]))


def get_enterprise(*, user: Any, uscc: str) -> Enterprise:
    """One enterprise by USCC, if `user` may read it: NotFoundError / PermissionDeniedError otherwise."""
    code = compact_code(uscc)
    enterprise = Enterprise.objects.filter(uscc=code).first()
    if enterprise is None:
        raise NotFoundError(f"市场主体库中没有统一社会信用代码为 {code} 的企业。", field="uscc")
    if not enterprises_visible_to(user=user).filter(pk=enterprise.pk).exists():
        raise PermissionDeniedError("您只能查看本企业的信息。")
    return enterprise


@dataclass(frozen=True)
class EnterpriseDetail:
    """An enterprise as a page or the API shows it to one user: labels resolved, phone as allowed."""

    enterprise: Enterprise
    region_label: str
    industry_label: str
    contact_phone: str
    is_phone_masked: bool
    age_years: Decimal | None
    rd_ratio: Decimal | None
    tags: list[str] = field(default_factory=list)
    can_edit: bool = False

    @property
    def rd_percent(self) -> Decimal | None:
        """研发费用占比 as a percentage, for display."""
        return None if self.rd_ratio is None else self.rd_ratio * 100


def enterprise_detail(*, user: Any, uscc: str, on_date: date | None = None) -> EnterpriseDetail:
    """The enterprise's profile with its derived facts (企业年龄, 研发费用占比) as of `on_date` (today)."""
    enterprise = get_enterprise(user=user, uscc=uscc)
    return describe_enterprise(user=user, enterprise=enterprise, on_date=on_date)


def describe_enterprise(
    *, user: Any, enterprise: Enterprise, on_date: date | None = None
) -> EnterpriseDetail:
    on = on_date or timezone.localdate()
    return EnterpriseDetail(
        enterprise=enterprise,
        region_label=region_label(enterprise.region_code),
        industry_label=industry_label(enterprise.industry_code),
        contact_phone=phone_for(user, enterprise.contact_phone),
        is_phone_masked=not can_see_full_phone(user),
        age_years=derived_age_years(enterprise.established_on, on),
        rd_ratio=derived_rd_ratio(enterprise.rd_expense, enterprise.revenue),
        tags=enterprise.tag_list,
        can_edit=can_edit_registry(user),
    )


# -- history ---------------------------------------------------------------------------------

CREATED_FIELD = "*"
_FIELD_LABELS_EXTRA = {CREATED_FIELD: "新建企业"}


def field_label(name: str) -> str:
    """The Chinese label of a profile field ("contact_phone" -> "联系电话")."""
    if name in _FIELD_LABELS_EXTRA:
        return _FIELD_LABELS_EXTRA[name]
    try:
        return str(getattr(Enterprise._meta.get_field(name), "verbose_name", name))
    except Exception:  # a field removed since the change was recorded
        return name


_CHOICE_LABELS: dict[str, dict[str, str]] = {
    "ownership": dict(Ownership.choices),
    "status": dict(EnterpriseStatus.choices),
    "size_class": dict(SizeClass.choices),
}
_BOOLEAN_LABELS = {"true": "是", "false": "否", "True": "是", "False": "否", "1": "是", "0": "否"}


def display_value(*, user: Any, field_name: str, value: str | None) -> str:
    """A stored history value as a clerk reads it: choice labels, 是/否, masked phones; "" for unknown."""
    if value is None or value == "":
        return ""
    if field_name == "contact_phone":
        return phone_for(user, value)
    if field_name in _CHOICE_LABELS:
        return _CHOICE_LABELS[field_name].get(value, value)
    if field_name == "red_list":
        return _BOOLEAN_LABELS.get(value, value)
    if field_name == "region_code":
        label = region_label(value)
        return f"{value} {label}" if label and label != value else value
    if field_name == "industry_code":
        label = industry_label(value)
        return f"{value} {label}" if label and label != value else value
    return value


@dataclass(frozen=True)
class HistoryEntry:
    field: str
    field_label: str
    old_value: str
    new_value: str
    source: str
    source_label: str
    source_ref: str
    file_name: str
    batch_id: int | None
    actor: str
    changed_at: datetime


def enterprise_history(*, user: Any, enterprise: Enterprise, limit: int | None = None) -> list[HistoryEntry]:
    """The enterprise's profile changes, newest first; phones masked as `user` must see them."""
    if not enterprises_visible_to(user=user).filter(pk=enterprise.pk).exists():
        raise PermissionDeniedError("您只能查看本企业的信息。")
    changes: Iterable[ProfileChange] = (
        ProfileChange.objects.filter(enterprise=enterprise)
        .select_related("batch", "changed_by")
        .order_by("-changed_at", "-id")
    )
    if limit is not None:
        changes = changes[:limit]  # type: ignore[index]
    source_labels = dict(ChangeSource.choices)
    entries = []
    for change in changes:
        file_name = change.batch.file_name if change.batch else ""
        if not file_name and change.source == ChangeSource.IMPORT:
            file_name = change.source_ref
        entries.append(
            HistoryEntry(
                field=change.field,
                field_label=field_label(change.field),
                old_value=display_value(user=user, field_name=change.field, value=change.old_value),
                new_value=display_value(user=user, field_name=change.field, value=change.new_value),
                source=change.source,
                source_label=source_labels.get(change.source, change.source),
                source_ref=change.source_ref,
                file_name=file_name,
                batch_id=change.batch_id,
                actor=str(change.changed_by) if change.changed_by else "系统",
                changed_at=change.changed_at,
            )
        )
    return entries


# -- imports ---------------------------------------------------------------------------------


def import_batches_for(*, user: Any) -> QuerySet[ImportBatch]:
    """Import batches, newest first: the system administrator sees every one."""
    if not can_import_enterprises(user):
        raise PermissionDeniedError("只有系统管理员可以导入企业数据。")
    return ImportBatch.objects.select_related("started_by").order_by("-created_at", "-id")


@dataclass(frozen=True)
class ImportErrorRow:
    """One rejected row's fault as pages and the API show it; `row` is None for a note on the batch."""

    row: int | None
    column: str
    column_title: str
    value: str
    reason: str


def import_batch_errors(*, batch: ImportBatch) -> list[ImportErrorRow]:
    """The stored faults of a batch (row number as a spreadsheet shows it, the header is row 1)."""
    rows = []
    for item in batch.errors or []:
        error = RowError.from_dict(item)
        rows.append(
            ImportErrorRow(
                row=error.row_number or None,
                column=error.column,
                column_title=error.column_title,
                value=error.value,
                reason=error.reason,
            )
        )
    return rows


def get_import_batch(*, user: Any, batch_id: int) -> ImportBatch:
    batch = import_batches_for(user=user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundError(f"没有编号为 {batch_id} 的导入批次。")
    return batch


def recent_import_batches(*, user: Any, limit: int = 5) -> list[ImportBatch]:
    """The latest import batches for the system administrator's 工作台; empty for everyone else."""
    if not can_import_enterprises(user):
        return []
    return list(import_batches_for(user=user)[:limit])


# -- the 工作台 summary ------------------------------------------------------------------------

SUMMARY_CACHE_KEY = "huiqi:enterprises:registry_summary"
SUMMARY_CACHE_SECONDS = 600


@dataclass(frozen=True)
class RegistrySummary:
    total: int
    red_list: int


def registry_summary(*, user: Any) -> RegistrySummary | None:
    """How many enterprises the registry holds and how many are on the red list, for the 工作台 of
    staff who read the registry (None for everyone else).

    A full COUNT(*) over a city's 1.5 million rows costs ~0.2 s on PostgreSQL, too much for every
    visit of a home page, so the figures are cached for ten minutes; the key carries the latest
    finished web import, so an administrator who has just imported sees the new figures at once. The
    red-list count uses the partial index."""
    if not can_read_registry(user):
        return None
    latest = (
        ImportBatch.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("pk", flat=True)
        .first()
    )
    key = f"{SUMMARY_CACHE_KEY}:{latest or 0}"
    cached = cache.get(key)
    if isinstance(cached, RegistrySummary):
        return cached
    summary = RegistrySummary(
        total=Enterprise.objects.count(), red_list=Enterprise.objects.filter(red_list=True).count()
    )
    cache.set(key, summary, SUMMARY_CACHE_SECONDS)
    return summary


# -- labels and derived facts ------------------------------------------------------------------


def region_label(code: str) -> str:
    return regions.region_label(code) or code


def industry_label(code: str) -> str:
    return industries.industry_label(code) or code


def derived_age_years(established_on: date | None, on_date: date) -> Decimal | None:
    """企业年龄 by the rules engine (DATA-CONTRACT.md section 1), so pages and rules agree."""
    return None if established_on is None else derived.age_years(established_on, on_date)


def derived_rd_ratio(rd_expense: Decimal | None, revenue: Decimal | None) -> Decimal | None:
    """研发费用占比 by the rules engine; None when either fact is unknown or revenue is 0."""
    return derived.rd_ratio(rd_expense, revenue)


_PHONE_DIGITS = re.compile(r"\D")


def phone_variants(phone: str) -> list[str]:
    """The spellings under which a caller's number may be stored as a contact phone: as given, digits
    only, without +86/0086, and a landline with its area code split off by "-" (010-, 0531-)."""
    raw = (phone or "").strip()
    digits = _PHONE_DIGITS.sub("", raw)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11):
            digits = digits[len(prefix) :]
            if not (len(digits) == 11 and digits.startswith("1")):  # a landline drops its trunk 0 after +86
                digits = "0" + digits
            break
    variants = [raw, digits]
    if digits.startswith("0") and len(digits) >= 10:
        # Chinese area codes are 3 digits for 010 and 02x (Beijing, Shanghai, Guangzhou ...), 4 otherwise.
        split = 3 if digits[1] in "12" else 4
        variants += [f"{digits[:split]}-{digits[split:]}", f"{digits[:split]} {digits[split:]}"]
    elif len(digits) == 11 and digits.startswith("1"):
        variants += [f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", f"{digits[:3]} {digits[3:7]} {digits[7:]}"]
    return [v for v in dict.fromkeys(variants) if v]


def enterprises_with_contact_phone(*, phone: str) -> list[Enterprise]:
    """The enterprises whose registered contact phone is this number (recognising a hotline caller).

    An exact lookup on the indexed column under each usual spelling, so it stays fast on a registry of
    millions; a field holding several numbers ("a;b") is not matched."""
    variants = phone_variants(phone)
    if not variants or len(_PHONE_DIGITS.sub("", phone or "")) < 7:
        return []
    return list(Enterprise.objects.filter(contact_phone__in=variants).order_by("-red_list", "name")[:20])
