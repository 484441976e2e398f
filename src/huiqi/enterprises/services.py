"""Writes to the enterprise registry (市场主体库): file imports and exports, profile edits, history.

Every change to a profile is kept as ProfileChange rows (field, old value, new value, source, who,
when); a created enterprise gets one row with field "*". Values in history, in exports and in the
comparisons of an import are the canonical texts of DATA-CONTRACT.md section 1 (see io/fields.py),
so "unchanged" means the same thing everywhere and importing a file twice changes nothing.

Import semantics (decided here, the contract is silent):
- A row is the enterprise's profile for the columns the file has: an empty cell sets the field to
  unknown (null; no tags; red_list false). A column the file does not have leaves that field
  untouched on existing enterprises (and unknown/default on new ones), so a file may carry only
  `uscc,name,region_code,industry_code,established_on,revenue` to update revenues.
- size_class is recomputed (国统字〔2017〕213号) for new enterprises and whenever industry_code,
  employees, revenue or total_assets change; a change of size_class is recorded in history too.
- Without `atomic`, valid rows are written chunk by chunk (each chunk its own transaction, so the
  progress of a long import is visible and memory stays bounded); with `atomic` everything runs in
  one transaction that is rolled back if any row is rejected. `dry_run` reads and compares only.
- One audit event "enterprise.import" per import (not per row), with the counts; none for a dry run.

Profile-changed listeners: other apps keep facts derived from profiles (policy matches) and must
refresh them when profiles change, but this app must not depend on them (ARCHITECTURE.md: facts flow
one way, out of the registry). STYLE.md forbids signals for this, so, as core.calendar_services does
for deadlines, an app registers a plain function at start-up (in its AppConfig.ready):

    def on_profiles_changed(*, enterprise_ids: tuple[int, ...] | None, actor) -> None: ...
    register_profile_changed_listener(on_profiles_changed)

Every write that creates or changes profiles calls each listener once, inside its transaction
(a listener defers its work with transaction.on_commit): `enterprise_ids` are the enterprises that
changed, or None when an import changed more than PROFILE_CHANGE_ID_LIMIT of them (then treat the
whole registry as changed). Nothing is called for a dry run or a write that changed nothing.
"""

import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from huiqi.accounts.permissions import require_role
from huiqi.core.audit import record_event
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from huiqi.core.masking import mask_phone
from huiqi.enterprises import selectors
from huiqi.enterprises.enums import ChangeSource, EnterpriseStatus, ImportStatus
from huiqi.enterprises.io import bulk
from huiqi.enterprises.io.fields import (
    COLUMNS,
    COLUMNS_BY_NAME,
    EXPORT_HEADER,
    FIELD_NAMES,
    SIZE_CLASS,
    SIZE_INPUTS,
    CellError,
    parse_cell,
    python_to_text,
    size_class_of,
    to_text,
)
from huiqi.enterprises.io.reader import (
    AcceptedRow,
    EnterpriseFileReader,
    EnterpriseFileRejectedError,
    RejectedRow,
    RowError,
    read_ahead,
    safe_file_name,
)
from huiqi.enterprises.io.writer import write_enterprises, write_error_report
from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange

__all__ = [
    "MAX_STORED_ERRORS",
    "EnterpriseFileRejectedError",
    "ImportResult",
    "RowError",
    "create_enterprise",
    "error_report",
    "export_enterprises",
    "import_enterprises",
    "process_import_batch",
    "register_profile_changed_listener",
    "start_import_batch",
    "unregister_profile_changed_listener",
    "update_enterprise_profile",
]

# An import of a million bad rows still counts every one; the batch keeps the first 10,000 errors
# (about 1 MB of JSON) and says how many there were. The command line reports all of them.
MAX_STORED_ERRORS = 10_000
DEFAULT_CHUNK_SIZE = 10_000

ProgressCallback = Callable[[int, int], None]

# --- profile-changed listeners (see the module docstring) -----------------------------------------

#: An import that changes more enterprises than this reports None ("many") instead of their ids.
PROFILE_CHANGE_ID_LIMIT = 10_000


class ProfileChangedListener(Protocol):
    def __call__(self, *, enterprise_ids: tuple[int, ...] | None, actor: Any) -> Any: ...


_profile_listeners: list[ProfileChangedListener] = []


def register_profile_changed_listener(listener: ProfileChangedListener) -> ProfileChangedListener:
    """Registers a function called after profiles are created or changed (see the module docstring).
    Registering twice is a no-op. Usable as a decorator."""
    if listener not in _profile_listeners:
        _profile_listeners.append(listener)
    return listener


def unregister_profile_changed_listener(listener: ProfileChangedListener) -> None:
    if listener in _profile_listeners:
        _profile_listeners.remove(listener)


def registered_profile_changed_listeners() -> tuple[ProfileChangedListener, ...]:
    return tuple(_profile_listeners)


def _notify_profiles_changed(*, enterprise_ids: tuple[int, ...] | None, actor: Any) -> None:
    if enterprise_ids is not None and not enterprise_ids:
        return
    for listener in list(_profile_listeners):
        listener(enterprise_ids=enterprise_ids, actor=actor)


@dataclass
class ImportResult:
    """The outcome of one import. For a dry run, or an atomic import rolled back because rows were
    rejected, the counts say what the import would have done and `is_written` is False."""

    file_name: str
    is_dry_run: bool = False
    is_atomic: bool = False
    is_written: bool = False
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def counts(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "is_dry_run": self.is_dry_run,
            "is_atomic": self.is_atomic,
            "is_written": self.is_written,
        }

    def summary(self) -> str:
        """Chinese summary with the four counts, e.g. `共 32 行：新增 30，更新 0，未变化 0，拒绝 2`."""
        text = (
            f"共 {self.total_rows} 行：新增 {self.created}，更新 {self.updated}，"
            f"未变化 {self.unchanged}，拒绝 {self.rejected}"
        )
        if self.is_dry_run:
            text += "（仅校验，未写入）"
        elif self.is_atomic and not self.is_written:
            text += "（因有被拒绝的行，按“全部成功才导入”未写入任何数据）"
        return text


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None) if actor is not None else None


def _check_can_import(actor: Any) -> None:
    """Who may import is decided in selectors (the system administrator). actor None is the command
    line: an operator on the server, allowed."""
    if actor is not None:
        require_role(actor, *sorted(selectors.IMPORT_ROLES))


class _RowsRejectedError(Exception):
    """Raised inside the atomic import's transaction to undo it when rows were rejected."""


class _ChunkImporter:
    """Compares a chunk of accepted rows with the registry and writes the differences."""

    def __init__(
        self, *, columns: tuple[str, ...], result: ImportResult, batch: ImportBatch | None, actor: Any
    ):
        self.result = result
        self.source_ref = result.file_name
        self.batch_id = batch.pk if batch is not None else None
        self.actor_id = _actor_id(actor)
        self.index = {name: i for i, name in enumerate(bulk.COMPARED_FIELDS)}
        # uscc is the key: equal by construction.
        self.compared = [(name, self.index[name]) for name in columns if name != "uscc"]
        self.update_fields = (*(name for name, _ in self.compared), SIZE_CLASS)
        self.touches_size = bool(SIZE_INPUTS.intersection(columns))
        self.defaults = {column.name: column.empty for column in COLUMNS}
        # Read by the reading thread: while most rows are new, it computes their complete profiles
        # (size class included) ahead, so the thread that waits for the database has less to do.
        self.expect_new = True
        # An import that starts on an empty registry (the initial load) need not look rows up: a
        # file never holds a USCC twice (the reader rejects the second row), so each is new. Should
        # another writer add the same USCC meanwhile, the unique constraint stops the import loudly.
        self.is_initial_load = not Enterprise.objects.exists()
        # The enterprises written, for the profile-changed listeners (None: more than the limit).
        self.changed_ids: list[int] | None = []

    def _remember_changed(self, ids: list[int]) -> None:
        if self.changed_ids is None:
            return
        self.changed_ids.extend(ids)
        if len(self.changed_ids) > PROFILE_CHANGE_ID_LIMIT:
            self.changed_ids = None

    def new_profile(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The complete profile of a new enterprise: defaults for absent columns, its size class."""
        profile = {**self.defaults, **values}
        profile[SIZE_CLASS] = size_class_of(profile)
        return bulk.profile_row(profile)

    def prepare(self, rows: list[AcceptedRow]) -> None:
        """Runs in the reading thread (no database): new profiles computed ahead, see expect_new."""
        if self.expect_new:
            for row in rows:
                row.prepared = self.new_profile(row.values)

    def apply(self, rows: list[AcceptedRow], *, write: bool) -> None:
        with bulk.chunk_transaction():
            self._apply(rows, write=write)

    def _apply(self, rows: list[AcceptedRow], *, write: bool) -> None:
        existing = {} if self.is_initial_load else bulk.fetch_existing([row.values["uscc"] for row in rows])
        creates: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        changes: list[tuple[int, str, str | None, str | None]] = []
        index = self.index
        size_index = index[SIZE_CLASS]
        for row in rows:
            values = row.values
            found = existing.get(values["uscc"])
            if found is None:
                creates.append(row.prepared or self.new_profile(values))
                continue
            pk, old = found
            changed = [name for name, i in self.compared if values[name] != old[i]]
            size = old[size_index]
            if self.touches_size and SIZE_INPUTS.intersection(changed):
                merged = {name: old[i] for name, i in index.items()}
                merged.update(values)
                size = size_class_of(merged)
                if size != old[size_index]:
                    changed.append(SIZE_CLASS)
            if not changed:
                self.result.unchanged += 1
                continue
            updates.append((*(values[name] for name, _ in self.compared), size, pk))
            for name in changed:
                new = size if name == SIZE_CLASS else values[name]
                changes.append((pk, name, to_text(old[index[name]]), to_text(new)))
        self.result.created += len(creates)
        self.result.updated += len(updates)
        self.expect_new = 2 * len(creates) >= len(rows)
        if not write:
            return
        now = timezone.now()
        stamp = bulk.db_datetime(now)
        ids = bulk.insert_enterprises(creates, now=now)
        bulk.update_enterprises(self.update_fields, updates, now=now)
        tail = (ChangeSource.IMPORT.value, self.source_ref, self.batch_id, self.actor_id, stamp)
        bulk.insert_creations(ids, tail)
        bulk.insert_changes([(*change, *tail) for change in changes])
        self._remember_changed([*ids, *(update[-1] for update in updates)])


def import_enterprises(
    *,
    path: Path,
    file_name: str | None = None,
    actor: Any = None,
    dry_run: bool = False,
    atomic: bool = False,
    batch: ImportBatch | None = None,
    progress: ProgressCallback | None = None,
    on_error: Callable[[RowError], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> ImportResult:
    """Upserts the enterprises of a contract file (CSV or XLSX) by USCC; see the module docstring.

    Rejected rows are counted, passed one error at a time to `on_error` (all of them) and kept in the
    result (the first MAX_STORED_ERRORS). A file that cannot be read at all raises
    EnterpriseFileRejectedError and changes nothing. `progress(done_rows, expected_rows)` is called
    after each chunk. With `batch`, its progress, counts, errors and status are kept up to date.
    """
    _check_can_import(actor)
    path = Path(path)
    result = ImportResult(
        file_name=safe_file_name(file_name or path.name),
        is_dry_run=dry_run,
        is_atomic=atomic,
        batch_id=batch.pk if batch is not None else None,
    )
    if batch is not None:
        _update_batch(batch, status=ImportStatus.RUNNING, failure_message="", finished_at=None)
    try:
        with EnterpriseFileReader(path, file_name=result.file_name) as reader, bulk.tuned_for_bulk():
            result.warnings = list(reader.warnings)
            if batch is not None:
                _update_batch(batch, total_rows=reader.estimated_rows)
            importer = _ChunkImporter(columns=reader.columns, result=result, batch=batch, actor=actor)
            if atomic and not dry_run:
                try:
                    with transaction.atomic():
                        _run(reader, importer, result, batch, progress, on_error, chunk_size, write=True)
                        if result.rejected:
                            raise _RowsRejectedError
                        result.is_written = True
                        _record_import_event(actor, result, batch)
                        _notify_import_changes(importer, actor)
                except _RowsRejectedError:
                    _record_import_event(actor, result, batch)
            else:
                _run(reader, importer, result, batch, progress, on_error, chunk_size, write=not dry_run)
                result.is_written = not dry_run
                if not dry_run:
                    _record_import_event(actor, result, batch)
                    _notify_import_changes(importer, actor)
    except Exception as error:
        if batch is not None:
            message = getattr(error, "message", None) or f"导入中断：{error}"
            _finish_batch(batch, result, status=ImportStatus.FAILED, failure_message=message)
        raise
    if batch is not None:
        _finish_batch(batch, result, status=ImportStatus.DONE, failure_message="")
    if progress is not None:
        progress(result.total_rows, result.total_rows)
    return result


def _notify_import_changes(importer: _ChunkImporter, actor: Any) -> None:
    ids = importer.changed_ids
    _notify_profiles_changed(enterprise_ids=None if ids is None else tuple(ids), actor=actor)


def _run(
    reader: EnterpriseFileReader,
    importer: _ChunkImporter,
    result: ImportResult,
    batch: ImportBatch | None,
    progress: ProgressCallback | None,
    on_error: Callable[[RowError], None] | None,
    chunk_size: int,
    *,
    write: bool,
) -> None:
    # closing(): if a chunk fails, the reading thread stops now, not when the traceback is freed.
    with closing(read_ahead(_prepared(reader.chunks(chunk_size), importer))) as chunks:
        for accepted, rejected in chunks:
            _take_chunk(accepted, rejected, importer, result, on_error, write=write)
            _report_progress(result, batch, progress, reader.estimated_rows)


def _prepared(
    chunks: Iterator[tuple[list[AcceptedRow], list[RejectedRow]]], importer: _ChunkImporter
) -> Iterator[tuple[list[AcceptedRow], list[RejectedRow]]]:
    for accepted, rejected in chunks:
        importer.prepare(accepted)
        yield accepted, rejected


def _take_chunk(
    accepted: list[AcceptedRow],
    rejected: list[RejectedRow],
    importer: _ChunkImporter,
    result: ImportResult,
    on_error: Callable[[RowError], None] | None,
    *,
    write: bool,
) -> None:
    result.total_rows += len(accepted) + len(rejected)
    for row in rejected:
        result.rejected += 1
        for error in row.errors:
            result.error_count += 1
            if len(result.errors) < MAX_STORED_ERRORS:
                result.errors.append(error)
            if on_error is not None:
                on_error(error)
    if accepted:
        importer.apply(accepted, write=write)


def _report_progress(
    result: ImportResult, batch: ImportBatch | None, progress: ProgressCallback | None, expected: int
) -> None:
    expected = max(expected, result.total_rows)
    if batch is not None:
        _update_batch(batch, total_rows=expected, **_batch_counts(result))
    if progress is not None:
        progress(result.total_rows, expected)


def _batch_counts(result: ImportResult) -> dict[str, int]:
    return {
        "processed_rows": result.total_rows,
        "created_count": result.created,
        "updated_count": result.updated,
        "unchanged_count": result.unchanged,
        "rejected_count": result.rejected,
    }


def _update_batch(batch: ImportBatch, **values: Any) -> None:
    for name, value in values.items():
        setattr(batch, name, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**values)


def _finish_batch(batch: ImportBatch, result: ImportResult, *, status: str, failure_message: str) -> None:
    errors = [error.as_dict() for error in result.errors]
    if result.errors_truncated:
        errors.append(
            {
                "row": None,
                "column": "",
                "value": "",
                "reason": f"错误过多：仅保存了前 {len(result.errors)} 条，共 {result.error_count} 条错误、"
                f"{result.rejected} 行被拒绝（命令行导入可输出全部错误）",
            }
        )
    if result.is_atomic and not result.is_dry_run and not result.is_written and status == ImportStatus.DONE:
        failure_message = failure_message or "有被拒绝的行，按“全部成功才导入”未写入任何数据"
    _update_batch(
        batch,
        status=status,
        total_rows=result.total_rows,
        errors=errors,
        failure_message=failure_message,
        finished_at=timezone.now(),
        **_batch_counts(result),
    )


def _record_import_event(actor: Any, result: ImportResult, batch: ImportBatch | None) -> None:
    record_event(
        actor=actor,
        action="enterprise.import",
        obj=batch,
        object_type="" if batch is not None else "enterprises.importbatch",
        object_repr=result.file_name,
        after={**result.counts(), "warnings": result.warnings},
    )


# --- web imports ----------------------------------------------------------------------------------


def start_import_batch(
    *, uploaded_file: UploadedFile, actor: Any, dry_run: bool = False, atomic: bool = False
) -> ImportBatch:
    """Stores an uploaded enterprise file in a new ImportBatch and queues its import (a background
    task, after commit). The page then follows the batch's progress and offers its error report."""
    _check_can_import(actor)
    name = safe_file_name(uploaded_file.name or "enterprises.csv")
    with transaction.atomic():
        batch = ImportBatch(file_name=name, is_dry_run=dry_run, is_atomic=atomic, started_by=actor)
        batch.file.save(name, uploaded_file, save=False)
        batch.save()
        batch_id = batch.pk
        transaction.on_commit(lambda: _enqueue_import(batch_id))
    return batch


def _enqueue_import(batch_id: int) -> None:
    from huiqi.enterprises.tasks import import_batch  # the task module imports this one

    import_batch.enqueue(batch_id)


def process_import_batch(*, batch: ImportBatch) -> ImportResult | None:
    """Runs the import of a stored batch (called by the background task). A file refused as a whole
    leaves the batch failed with the reason and returns None; other errors propagate."""
    if batch.status == ImportStatus.DONE:
        return None
    try:
        with _local_copy(batch) as path:
            return import_enterprises(
                path=path,
                file_name=batch.file_name,
                actor=batch.started_by,
                dry_run=batch.is_dry_run,
                atomic=batch.is_atomic,
                batch=batch,
            )
    except (EnterpriseFileRejectedError, PermissionDeniedError):
        return None


@contextmanager
def _local_copy(batch: ImportBatch) -> Iterator[Path]:
    """The stored file as a local path (storages other than the file system are copied to /tmp)."""
    try:
        yield Path(batch.file.path)
        return
    except NotImplementedError:
        pass
    with tempfile.NamedTemporaryFile(suffix=Path(batch.file_name).suffix) as handle:
        with batch.file.open("rb") as source:
            while block := source.read(1 << 20):
                handle.write(block)
        handle.flush()
        yield Path(handle.name)


def error_report(*, batch: ImportBatch, file_format: str) -> bytes:
    """The rejected rows of a batch as a downloadable CSV or XLSX: 行号, 列, 值, 原因."""
    errors = [RowError.from_dict(item) for item in batch.errors]
    buffer = io.BytesIO()
    write_error_report(errors, buffer, file_format=file_format)
    return buffer.getvalue()


# --- exports --------------------------------------------------------------------------------------


def export_enterprises(
    *,
    output: Path | str | IO[bytes],
    file_format: str = "csv",
    actor: Any = None,
    mask_personal_data: bool = False,
    queryset: QuerySet[Enterprise] | None = None,
    include_bom: bool = False,
) -> int:
    """Writes every enterprise (or those of `queryset`) with the section-1 columns (English header,
    contract order) and size_class; returns the number of rows. Streams from a server-side cursor.

    CSV is UTF-8 (with a BOM only if asked: Excel wants one, other programs do not); XLSX uses
    openpyxl's write-only mode. Contact phones are masked when asked, and always for an actor whose
    role does not need them (selectors.can_see_full_phone; ARCHITECTURE.md, personal data). Who may
    export is selectors.EXPORT_ROLES; actor None is the command line (an operator), allowed.
    """
    if actor is not None:
        require_role(actor, *sorted(selectors.EXPORT_ROLES))
        if not selectors.can_see_full_phone(actor):
            mask_personal_data = True
    file_format = file_format.lower().lstrip(".")
    rows = _export_rows(queryset, mask_personal_data=mask_personal_data)
    count = write_enterprises(rows, output, file_format=file_format, include_bom=include_bom)
    record_event(
        actor=actor,
        action="enterprise.export",
        object_type="enterprises.enterprise",
        object_repr=f"企业库导出（{count} 家）",
        after={"rows": count, "format": file_format, "is_masked": mask_personal_data},
    )
    return count


def _export_rows(
    queryset: QuerySet[Enterprise] | None, *, mask_personal_data: bool
) -> Iterator[tuple[Any, ...]]:
    sql = f"SELECT {bulk._canonical_select()} FROM {connection.ops.quote_name(bulk.ENTERPRISE_TABLE)}"
    params: tuple[Any, ...] = ()
    if queryset is not None:
        subquery, params = queryset.values("id").query.sql_with_params()
        sql += f" WHERE id IN ({subquery})"
    sql += " ORDER BY uscc"
    red_list = EXPORT_HEADER.index("red_list")
    phone = EXPORT_HEADER.index("contact_phone")
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(5000):
            for row in batch:
                values = list(row[1:])
                values[red_list] = bool(values[red_list])
                if mask_personal_data and values[phone]:
                    values[phone] = mask_phone(values[phone])
                yield tuple(values)


# --- single profiles ------------------------------------------------------------------------------


def _validate_fields(data: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Canonical values of the given fields by the import's rules, and the errors by field."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in data.items():
        if name == SIZE_CLASS:
            errors[name] = [
                "企业规模由系统按国统字〔2017〕213号根据行业、从业人员、营业收入和资产总额计算，不能直接填写"
            ]
            continue
        if name == "uscc" and not creating:
            errors[name] = ["统一社会信用代码是企业的标识，不能修改"]
            continue
        if name == "status":
            text = python_to_text(raw)
            if text in EnterpriseStatus.values:
                values[name] = text
            else:
                allowed = "、".join(f"{s.value}（{s.label}）" for s in EnterpriseStatus)
                errors[name] = [f"状态应为以下之一：{allowed}"]
            continue
        column = COLUMNS_BY_NAME.get(name)
        if column is None:
            errors[name] = ["没有这个字段"]
            continue
        try:
            values[name] = parse_cell(column, python_to_text(raw))
        except CellError as error:
            errors[name] = [error.reason]
    if creating:
        for column in COLUMNS:
            if column.required and column.name not in data:
                errors.setdefault(column.name, [f"{column.label}为必填项，不能为空"])
    return values, errors


def _raise_if_errors(errors: dict[str, list[str]]) -> None:
    if errors:
        detail = "；".join(
            f"{COLUMNS_BY_NAME[n].label if n in COLUMNS_BY_NAME else n}：{r[0]}" for n, r in errors.items()
        )
        raise ValidationFailedError(
            f"企业信息有误：{detail}", field=next(iter(errors)), extra={"errors": errors}
        )


def _canonical_profile(enterprise: Enterprise) -> dict[str, Any]:
    profile = {column.name: column.from_db(getattr(enterprise, column.name)) for column in COLUMNS}
    profile[SIZE_CLASS] = enterprise.size_class
    profile["status"] = enterprise.status
    return profile


def _check_can_edit(actor: Any) -> None:
    """Registry data comes from the authorities' sync and the administrator's corrections
    (selectors.REGISTRY_EDITOR_ROLES); actor None is the system or the command line."""
    if actor is not None:
        require_role(actor, *sorted(selectors.REGISTRY_EDITOR_ROLES))


def update_enterprise_profile(
    *, enterprise: Enterprise, actor: Any, changes: dict[str, object], source: str = ChangeSource.USER
) -> Enterprise:
    """Changes some fields of one profile (values as text or typed: Decimal, date, int, bool, list of
    tags), validated by the import's rules. Each changed field gets a ProfileChange row; size_class is
    recomputed; one audit event "enterprise.update" with the changed fields before and after.
    Raises ValidationFailedError with extra={"errors": {field: [reason]}}."""
    _check_can_edit(actor)
    values, errors = _validate_fields(dict(changes), creating=False)
    _raise_if_errors(errors)
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        old = _canonical_profile(locked)
        changed = {name: value for name, value in values.items() if old[name] != value}
        if SIZE_INPUTS.intersection(changed):
            size = size_class_of({**old, **changed})
            if size != old[SIZE_CLASS]:
                changed[SIZE_CLASS] = size
        if not changed:
            return locked
        for name, value in changed.items():
            column = COLUMNS_BY_NAME.get(name)
            setattr(locked, name, column.to_python(value) if column else value)
        locked.save(update_fields=[*changed, "updated_at"])
        now = timezone.now()
        ProfileChange.objects.bulk_create(
            ProfileChange(
                enterprise=locked,
                field=name,
                old_value=to_text(old[name]),
                new_value=to_text(value),
                source=source,
                changed_by_id=_actor_id(actor),
                changed_at=now,
            )
            for name, value in changed.items()
        )
        record_event(
            actor=actor,
            action="enterprise.update",
            obj=locked,
            before={name: to_text(old[name]) for name in changed},
            after={name: to_text(value) for name, value in changed.items()},
        )
        _notify_profiles_changed(enterprise_ids=(locked.pk,), actor=actor)
    enterprise.refresh_from_db()
    return locked


def create_enterprise(*, actor: Any, data: dict[str, Any], source: str = ChangeSource.USER) -> Enterprise:
    """Registers one enterprise (the contract's fields; the required ones must be given), validated by
    the import's rules, with its creation history row and an audit event "enterprise.create"."""
    _check_can_edit(actor)
    values, errors = _validate_fields(dict(data), creating=True)
    if "uscc" in values and Enterprise.objects.filter(uscc=values["uscc"]).exists():
        errors.setdefault("uscc", []).append(f"统一社会信用代码 {values['uscc']} 已登记")
    _raise_if_errors(errors)
    profile = {column.name: column.empty for column in COLUMNS}
    profile.update(values)
    status = profile.pop("status", EnterpriseStatus.ACTIVE)
    with transaction.atomic():
        enterprise = Enterprise(
            **{column.name: column.to_python(profile[column.name]) for column in COLUMNS},
            status=status,
            size_class=size_class_of(profile),
        )
        try:
            with transaction.atomic():
                enterprise.save(force_insert=True)
        except IntegrityError:  # registered by someone else since the check above
            _raise_if_errors({"uscc": [f"统一社会信用代码 {enterprise.uscc} 已登记"]})
            raise
        ProfileChange.objects.create(
            enterprise=enterprise,
            field="*",
            source=source,
            changed_by_id=_actor_id(actor),
            changed_at=timezone.now(),
        )
        record_event(
            actor=actor,
            action="enterprise.create",
            obj=enterprise,
            after={
                **{name: to_text(profile[name]) for name in FIELD_NAMES},
                SIZE_CLASS: enterprise.size_class,
            },
        )
        _notify_profiles_changed(enterprise_ids=(enterprise.pk,), actor=actor)
    return enterprise
