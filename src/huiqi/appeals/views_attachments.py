"""Downloading an appeal's or a reply's file (附件下载), after selectors_attachments has checked that
the user may see it; anything the user may not see is a 404 (ids are not probed for existence).

Decisions where the issue is silent:
* Always a download (Content-Disposition: attachment, the Chinese name encoded by Django as
  RFC 5987 filename*=UTF-8''...), never shown inline, with X-Content-Type-Options: nosniff, so an
  uploaded file cannot run as a page of this site.
* The Content-Type comes from the stored file name's extension (attachments.ALLOWED_SUFFIXES,
  checked at upload), not from the type the uploader's browser claimed.
* Private to the user: shared caches must not keep it (Cache-Control: private, no-store).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from huiqi.appeals import selectors_attachments
from huiqi.core.errors import NotFoundError


@require_GET
@login_required
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        attachment = selectors_attachments.attachment_for_download(
            user=request.user, attachment_id=attachment_id
        )
    except NotFoundError as error:
        raise Http404(error.message) from None
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(f"附件“{attachment.name}”的文件已不在存储中，请联系平台管理员。") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response
