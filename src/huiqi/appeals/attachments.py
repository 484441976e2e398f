"""Files attached to appeals and replies: checked before anything is stored.

Limits (settings, with defaults): HUIQI_APPEAL_ATTACHMENT_MAX_BYTES (10 MB each),
HUIQI_APPEAL_ATTACHMENT_MAX_COUNT (10 per appeal or reply), and the types government offices exchange
(documents, spreadsheets, PDF, images, archives). Executables and scripts are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings

from huiqi.appeals.errors import AttachmentRejectedError
from huiqi.appeals.models import Appeal, Attachment, Reply

if TYPE_CHECKING:
    from huiqi.accounts.models import User

ALLOWED_SUFFIXES = frozenset(
    {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".ofd",
     ".txt", ".csv", ".zip", ".rar", ".7z", ".mp3", ".amr", ".wav", ".mp4"}
)  # fmt: skip


def max_bytes() -> int:
    return int(getattr(settings, "HUIQI_APPEAL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def max_count() -> int:
    return int(getattr(settings, "HUIQI_APPEAL_ATTACHMENT_MAX_COUNT", 10))


def _name_of(file: Any) -> str:
    return PurePath(str(getattr(file, "name", "") or "")).name


def validate_attachments(files: Sequence[Any]) -> None:
    """Raises AttachmentRejectedError naming every file that is refused and why."""
    problems: list[str] = []
    if len(files) > max_count():
        problems.append(f"最多上传 {max_count()} 个附件，收到 {len(files)} 个。")
    for index, file in enumerate(files, start=1):
        name = _name_of(file)
        if not name:
            problems.append(f"第 {index} 个附件没有文件名。")
            continue
        if len(name) > 200:
            problems.append(f"附件“{name[:40]}…”的文件名超过 200 个字符。")
        suffix = PurePath(name).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            problems.append(f"附件“{name}”的类型（{suffix or '无扩展名'}）不允许上传。")
        size = getattr(file, "size", None)
        if size is None or size <= 0:
            problems.append(f"附件“{name}”是空文件。")
        elif size > max_bytes():
            problems.append(f"附件“{name}”超过 {max_bytes() // (1024 * 1024)} MB。")
    if problems:
        raise AttachmentRejectedError("；".join(problems), field="attachments", extra={"errors": problems})


def save_attachments(
    *, appeal: Appeal, files: Sequence[Any], actor: User | None, now: dt.datetime, reply: Reply | None = None
) -> list[Attachment]:
    """Stores validated files (call validate_attachments first, before any other write)."""
    saved = []
    for file in files:
        name = _name_of(file)
        attachment = Attachment(
            appeal=appeal,
            reply=reply,
            name=name,
            size=file.size,
            content_type=str(getattr(file, "content_type", "") or "")[:100],
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            uploaded_at=now,
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        saved.append(attachment)
    return saved
