"""Who may download which attachment (附件下载): the reads behind /appeals/attachments/<id>/.

Files are never served from MEDIA_URL: an appeal's files are as private as the appeal (issue 3,
"Permissions and privacy"), so every download goes through this check.

* An attachment is visible to whoever sees its appeal (selectors.appeals_visible_to: handlers their
  department's tickets, enterprises their own appeals, city-wide roles all).
* An enterprise sees the files of a reply only once the reply reached it (approved by the dispatcher,
  or given directly at intake): a draft under review, or one sent back, is internal.
* Anything else is "not found", never "forbidden", so that ids cannot be probed for existence.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from huiqi.accounts.enums import Role
from huiqi.appeals import selectors
from huiqi.appeals.enums import ReplyStatus
from huiqi.appeals.models import Attachment
from huiqi.core.errors import NotFoundError, PermissionDeniedError

#: Reply states whose files the enterprise may see (the same as the replies it is shown).
RELEASED_REPLY_STATES = (ReplyStatus.APPROVED, ReplyStatus.DIRECT)


def attachment_for_download(*, user: Any, attachment_id: int) -> Attachment:
    """The attachment, if `user` may download it; NotFoundError otherwise (also for roles that see
    no appeals at all, and for signed-out users)."""
    missing = NotFoundError(f"附件 {attachment_id} 不存在或无权查看。")
    try:
        visible = selectors.appeals_visible_to(user=user)
    except PermissionDeniedError:
        raise missing from None
    queryset = Attachment.objects.select_related("reply").filter(
        pk=attachment_id, appeal__in=visible.values("pk")
    )
    if user.role == Role.ENTERPRISE:
        queryset = queryset.filter(Q(reply__isnull=True) | Q(reply__status__in=RELEASED_REPLY_STATES))
    attachment = queryset.first()
    if attachment is None:
        raise missing
    return attachment
