"""The demo policy library of `huiqi load_demo`: policy documents and their items for 济南市 (370100),
with a few provincial (山东省, 370000) and national ones, shipped as YAML in `demo_data/`.

Why a loader of its own: items travel in the contract's file format (DATA-CONTRACT.md section 2) and
are imported by `services.import_policy_items`, exactly as `huiqi import_policies` does, so the demo
exercises the real path (validation, example cases, bulk publishing, audit). That format carries of a
document only its title, 文号 (`document_number`), department, level and region; the rest of a
document (publish date, validity, full text, themes) has no import path, so `demo_data/documents.yaml`
holds it and this module writes it onto the same PolicyDocument rows the import then finds (the
import looks a document up by title, department, level, region and 文号).

Loading twice changes nothing: `import_policy_items` makes a new version of an item on every import
(the contract: "Importing an item whose code exists makes a new version of it"), so an item whose
content equals its newest version is left out of the import; a document is updated only when its
metadata differs. Editing a demo file and loading again makes a new version of the edited items only.

The texts were written for the project, modelled on the kinds of measures Chinese cities publish
(start-up grants, rent subsidies, 专精特新 and 高新技术企业 awards, R&D post-subsidies, tax-contribution
awards, loan interest subsidies, headquarters awards, digital-economy awards); every document says
that it is demo text without force. National documents use region code "100000" (全国), a convention
of statistical code lists: GB/T 2260 has no code for the whole country.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from huiqi.accounts.permissions import require_role
from huiqi.core.audit import record_event
from huiqi.core.errors import ValidationFailedError
from huiqi.policies.item_file import (
    LEVELS,
    REGION_PATTERN,
    Fault,
    ItemData,
    ItemFileError,
    RawItem,
    parse_item,
    policy_files,
    read_items,
)
from huiqi.policies.models import PolicyDocument, PolicyItemVersion
from huiqi.policies.services import RejectedItem, import_policy_items
from huiqi.policies.workflow import Step, transition_for

DEMO_DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DOCUMENTS_FILE = "documents.yaml"
ITEMS_FOLDER = "items"

DocumentKey = tuple[str, str, str, str, str]  # title, issuing department, level, region code, 文号


class PolicyDemoDataInvalidError(ValidationFailedError):
    """The demo documents file is malformed; `extra["errors"]` lists each fault as {path, message}."""


@dataclass(frozen=True)
class DemoDocument:
    """One policy document of documents.yaml, with the metadata the item format cannot carry."""

    title: str
    document_number: str
    issuing_department: str
    level: str
    region_code: str
    published_on: date | None
    valid_from: date | None
    valid_to: date | None
    themes: tuple[str, ...]
    full_text: str

    @property
    def key(self) -> DocumentKey:
        return (self.title, self.issuing_department, self.level, self.region_code, self.document_number)

    def metadata(self) -> dict[str, Any]:
        """The fields written onto PolicyDocument besides its key."""
        return {
            "published_on": self.published_on,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "themes": list(self.themes),
            "full_text": self.full_text,
        }


def item_document_key(data: ItemData) -> DocumentKey:
    """The document an item belongs to, by the same fields services.import_policy_items looks it up by."""
    return (data.policy, data.department, data.level, data.region_code, data.document_number)


@dataclass
class DemoPoliciesSummary:
    """What `load_demo_policies` did."""

    documents_created: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    imported: list[str] = field(default_factory=list)  # codes that got a new (published) version
    unchanged: list[str] = field(default_factory=list)  # codes whose newest version equals the file
    rejected: list[RejectedItem] = field(default_factory=list)

    @property
    def documents_total(self) -> int:
        return self.documents_created + self.documents_updated + self.documents_unchanged

    @property
    def items_total(self) -> int:
        return len(self.imported) + len(self.unchanged)

    def summary(self) -> str:
        return (
            f"政策文件 {self.documents_total} 份（新建 {self.documents_created}，更新 {self.documents_updated}）；"
            f"政策条目 {self.items_total} 条（新版本 {len(self.imported)}，未变化 {len(self.unchanged)}，"
            f"拒绝 {len(self.rejected)}）"
        )


# ------------------------------------------------------------------------------------ reading
_DOCUMENT_KEYS = (
    "title",
    "document_number",
    "issuing_department",
    "level",
    "region_code",
    "published_on",
    "valid_from",
    "valid_to",
    "themes",
    "full_text",
)


def _document(raw: Any, path: str, faults: list[Fault]) -> DemoDocument | None:
    if not isinstance(raw, Mapping):
        faults.append(Fault(path, "政策文件须为映射（title、document_number 等键）"))
        return None
    count = len(faults)
    for key in raw:
        if key not in _DOCUMENT_KEYS:
            faults.append(Fault(f"{path}.{key}", f"未知的键“{key}”，可用的键：{'、'.join(_DOCUMENT_KEYS)}"))
    texts: dict[str, str] = {}
    for key in ("title", "document_number", "issuing_department", "region_code", "full_text"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            faults.append(Fault(f"{path}.{key}", f"须为非空文本，而不是 {value!r}"))
        else:
            texts[key] = value.strip()
    level = raw.get("level")
    if level not in LEVELS:
        faults.append(Fault(f"{path}.level", f"须为 {'、'.join(LEVELS)} 之一，而不是 {level!r}"))
    if "region_code" in texts and not REGION_PATTERN.match(texts["region_code"]):
        faults.append(
            Fault(f"{path}.region_code", f"须为 6 位数字的区划代码，而不是 {texts['region_code']!r}")
        )
    dates: dict[str, date | None] = {}
    for key in ("published_on", "valid_from", "valid_to"):
        value = raw.get(key)
        if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
            dates[key] = value
        else:
            faults.append(Fault(f"{path}.{key}", f"须为日期 YYYY-MM-DD，而不是 {value!r}"))
    valid_from, valid_to = dates.get("valid_from"), dates.get("valid_to")
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        faults.append(Fault(f"{path}.valid_to", "有效期止早于有效期起"))
    themes = raw.get("themes") or []
    if not isinstance(themes, list) or not all(isinstance(theme, str) and theme.strip() for theme in themes):
        faults.append(Fault(f"{path}.themes", f"须为主题文本的列表，而不是 {themes!r}"))
        themes = []
    if len(faults) > count:
        return None
    return DemoDocument(
        title=texts["title"],
        document_number=texts["document_number"],
        issuing_department=texts["issuing_department"],
        level=str(level),
        region_code=texts["region_code"],
        published_on=dates["published_on"],
        valid_from=dates["valid_from"],
        valid_to=dates["valid_to"],
        themes=tuple(theme.strip() for theme in themes),
        full_text=texts["full_text"].strip() + "\n",
    )


def read_demo_documents(path: Path) -> list[DemoDocument]:
    """The documents of a documents.yaml (a list of mappings); raises PolicyDemoDataInvalidError."""
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as error:  # ValueError: a date such as 2025-13-01
        raise PolicyDemoDataInvalidError(f"{name}：无法读取（{error}）") from None
    if not isinstance(data, list) or not data:
        raise PolicyDemoDataInvalidError(f"{name}：须为政策文件的列表")
    faults: list[Fault] = []
    documents: list[DemoDocument] = []
    seen: dict[DocumentKey, int] = {}
    for index, raw in enumerate(data):
        document = _document(raw, f"{name}[{index}]", faults)
        if document is None:
            continue
        if document.key in seen:
            faults.append(Fault(f"{name}[{index}]", f"与 {name}[{seen[document.key]}] 是同一文件"))
            continue
        seen[document.key] = index
        documents.append(document)
    if faults:
        raise PolicyDemoDataInvalidError(
            "演示政策文件有误：" + "；".join(str(fault) for fault in faults),
            extra={"errors": [{"path": fault.path, "message": fault.message} for fault in faults]},
        )
    return documents


@dataclass(frozen=True)
class DemoItem:
    """One item mapping of an item file: where it is, its raw form, and its parsed form if valid."""

    file: Path
    index: int
    raw: RawItem
    data: ItemData | None


def read_demo_items(directory: Path) -> list[DemoItem]:
    """Every item of every file under `directory`; a file that cannot be read as a whole raises
    PolicyDemoDataInvalidError (an invalid item is kept, unparsed, for the import to report)."""
    items: list[DemoItem] = []
    for file in policy_files(directory):
        try:
            raws = read_items(file)
        except ItemFileError as error:
            raise PolicyDemoDataInvalidError(f"演示政策条目文件有误：{error}") from None
        for index, raw in enumerate(raws):
            try:
                data: ItemData | None = parse_item(raw)
            except ItemFileError:
                data = None  # imported all the same, so the import reports its faults with their paths
            items.append(DemoItem(file, index, raw, data))
    return items


# ------------------------------------------------------------------------------------ writing
def _ensure_documents(documents: list[DemoDocument], *, actor: Any, summary: DemoPoliciesSummary) -> None:
    with transaction.atomic():
        for demo in documents:
            title, department, level, region_code, number = demo.key
            document = PolicyDocument.objects.filter(
                title=title,
                issuing_department=department,
                level=level,
                region_code=region_code,
                document_number=number,
            ).first()
            metadata = demo.metadata()
            if document is None:
                document = PolicyDocument.objects.create(
                    title=title,
                    issuing_department=department,
                    level=level,
                    region_code=region_code,
                    document_number=number,
                    **metadata,
                )
                summary.documents_created += 1
                record_event(
                    actor=actor,
                    action="policy_document.create",
                    obj=document,
                    after={
                        "document_number": number,
                        "level": level,
                        "region_code": region_code,
                        "source": "演示数据",
                    },
                )
                continue
            changed = {name: value for name, value in metadata.items() if getattr(document, name) != value}
            if not changed:
                summary.documents_unchanged += 1
                continue
            # The full text is not copied into the audit log (it can be long); that it changed is.
            before = {name: getattr(document, name) for name in changed if name != "full_text"}
            after = {name: value for name, value in changed.items() if name != "full_text"}
            if "full_text" in changed:
                after["full_text_changed"] = True
            for name, value in changed.items():
                setattr(document, name, value)
            document.save(update_fields=list(changed))
            summary.documents_updated += 1
            record_event(
                actor=actor, action="policy_document.update", obj=document, before=before, after=after
            )


def _newest_versions(codes: list[str]) -> dict[str, PolicyItemVersion]:
    newest: dict[str, PolicyItemVersion] = {}
    versions = (
        PolicyItemVersion.objects.filter(item__code__in=codes)
        .select_related("item", "document")
        .order_by("item__code", "-number")
    )
    for version in versions:
        newest.setdefault(version.item.code, version)
    return newest


def is_unchanged(data: ItemData, version: PolicyItemVersion | None) -> bool:
    """Whether importing `data` would make a version equal in content to `version` (its newest)."""
    if version is None:
        return False
    document = version.document
    stored_key = (
        document.title,
        document.issuing_department,
        document.level,
        document.region_code,
        document.document_number,
    )

    return (
        stored_key == item_document_key(data)
        and version.title == data.title
        and version.eligibility == data.eligibility
        and version.reward == data.reward
        and list(version.examples or []) == data.examples
        and version.auto_entitlement == data.auto_entitlement
        and version.budget_amount == data.budget_amount
        and version.application_opens_on == data.application_opens_on
        and version.application_closes_on == data.application_closes_on
        and version.effective_from == data.effective_from
        and version.effective_to == data.effective_to
    )


def load_demo_policies(*, actor: Any = None, directory: Path | None = None) -> DemoPoliciesSummary:
    """Load (or bring up to date) the demo policy library; see the module docstring.

    `directory` holds documents.yaml and items/ (default: the shipped demo_data). `actor` None is the
    command line (load_demo); a signed-in actor needs the role that may bulk-publish. Items are
    published at once, through services.import_policy_items; an item whose newest version has the
    same content is skipped, so a second run creates no version. Raises PolicyDemoDataInvalidError
    for a malformed documents.yaml; an invalid item is reported in `rejected`, like any import.
    """
    if actor is not None:
        require_role(actor, *transition_for(Step.BULK_PUBLISH).roles)
    directory = Path(directory) if directory is not None else DEMO_DATA_DIR
    summary = DemoPoliciesSummary()
    documents = read_demo_documents(directory / DOCUMENTS_FILE)
    known = {document.key for document in documents}
    items = read_demo_items(directory / ITEMS_FOLDER)
    _ensure_documents(documents, actor=actor, summary=summary)

    newest = _newest_versions([item.data.code for item in items if item.data is not None])
    to_import: list[DemoItem] = []
    for item in items:
        if item.data is not None and item_document_key(item.data) not in known:
            fault = Fault(
                f"{item.raw.location}.policy",
                f"{DOCUMENTS_FILE} 中没有文件“{item.data.policy}”（{item.data.document_number or '无文号'}，"
                f"{item.data.department}，{item.data.level}，{item.data.region_code}）",
            )
            summary.rejected.append(RejectedItem(item.raw.location, item.data.code, (fault,)))
        elif item.data is not None and is_unchanged(item.data, newest.get(item.data.code)):
            summary.unchanged.append(item.data.code)
        else:
            to_import.append(item)
    if not to_import:
        return summary

    with tempfile.TemporaryDirectory(prefix="huiqi-demo-policies-") as folder:
        paths: list[Path] = []
        chosen = {(item.file, item.index) for item in to_import}
        for file in dict.fromkeys(item.file for item in items):
            indexes = [item.index for item in items if item.file == file]
            if all((file, index) in chosen for index in indexes):
                paths.append(file)  # the whole file: the import names the shipped file in its history
                continue
            # Only some items of this file changed: each goes through the import on its own, as the
            # one-item file of its own text (the stored source_yaml is the same either way).
            for item in to_import:
                if item.file == file:
                    code = item.data.code if item.data is not None else "item"
                    part = Path(folder) / f"{file.stem}[{item.index}]-{code}.yaml"
                    part.write_text(item.raw.text, encoding="utf-8")
                    paths.append(part)
        report = import_policy_items(paths=paths, actor=actor)
    summary.imported.extend(version.code for version in report.imported)
    summary.rejected.extend(report.rejected)
    return summary
