"""Attachment downloads (/appeals/attachments/<id>/, views_attachments + selectors_attachments): only to
whoever sees the appeal, reply files to the enterprise only once the reply reached it, 404 otherwise."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import selectors_attachments
from huiqi.appeals.attachments import save_attachments
from huiqi.appeals.enums import ReplyStatus, TicketState
from huiqi.core.errors import NotFoundError
from tests.appeals.factories import TicketFactory
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

S = TicketState
LICENCE = "营业执照副本.pdf"
LICENCE_BYTES = b"%PDF-1.4\n\xe8\x90\xa5\xe4\xb8\x9a\xe6\x89\xa7\xe7\x85\xa7 scan"


def _attach(ticket, *, name=LICENCE, content=LICENCE_BYTES, reply=None):
    upload = SimpleUploadedFile(name, content, content_type="text/html")  # what the browser claimed
    [attachment] = save_attachments(
        appeal=ticket.appeal, files=[upload], actor=None, now=timezone.now(), reply=reply
    )
    return attachment


def _url(attachment):
    return reverse("appeals:attachment_download", args=[attachment.pk])


def _body(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def ticket(department, enterprise):
    return TicketFactory(state=S.ACCEPTED, lead_department=department, appeal__enterprise=enterprise)


def test_owner_enterprise_downloads_its_appeal_file_with_its_chinese_name(client, ticket, enterprise_user):
    attachment = _attach(ticket)
    client.force_login(enterprise_user)
    response = client.get(_url(attachment))
    assert response.status_code == 200
    assert _body(response) == LICENCE_BYTES
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(LICENCE)}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    # The type follows the checked extension, not the uploader's claim (text/html would render).
    assert response["Content-Type"] == "application/pdf"
    assert "private" in response["Cache-Control"]


def test_another_enterprise_gets_not_found(client, ticket):
    attachment = _attach(ticket)
    client.force_login(EnterpriseUserFactory(enterprises=[EnterpriseFactory()]))
    response = client.get(_url(attachment))
    assert response.status_code == 404
    assert "不存在或无权查看" in response.content.decode()


def test_handler_of_the_lead_department_downloads_and_another_department_gets_not_found(
    client, ticket, handler, other_department
):
    attachment = _attach(ticket)
    client.force_login(handler)
    assert client.get(_url(attachment)).status_code == 200
    client.force_login(UserFactory(role=Role.HANDLER, department=other_department))
    assert client.get(_url(attachment)).status_code == 404


def test_reply_file_is_hidden_from_the_enterprise_until_the_reply_is_approved(
    client, department, enterprise, enterprise_user, dispatcher
):
    ticket = TicketFactory(state=S.REPLY_REVIEW, lead_department=department, appeal__enterprise=enterprise)
    reply = ticket.replies.get()
    attachment = _attach(ticket, name="勘查报告.pdf", reply=reply)

    client.force_login(enterprise_user)
    assert client.get(_url(attachment)).status_code == 404
    client.force_login(dispatcher)  # the reviewer reads it before deciding
    assert client.get(_url(attachment)).status_code == 200

    reply.status = ReplyStatus.APPROVED
    reply.save(update_fields=["status"])
    client.force_login(enterprise_user)
    response = client.get(_url(attachment))
    assert response.status_code == 200
    assert _body(response) == LICENCE_BYTES


def test_sent_back_reply_file_stays_hidden_from_the_enterprise(department, enterprise, enterprise_user):
    ticket = TicketFactory(state=S.REPLY_REVIEW, lead_department=department, appeal__enterprise=enterprise)
    reply = ticket.replies.get()
    reply.status = ReplyStatus.SENT_BACK
    reply.save(update_fields=["status"])
    attachment = _attach(ticket, reply=reply)
    with pytest.raises(NotFoundError):
        selectors_attachments.attachment_for_download(user=enterprise_user, attachment_id=attachment.pk)


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_roles_that_read_no_appeals_get_not_found_rather_than_forbidden(client, ticket, role):
    attachment = _attach(ticket)
    client.force_login(UserFactory(role=role))
    assert client.get(_url(attachment)).status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(client, ticket):
    response = client.get(_url(_attach(ticket)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_file_missing_from_storage_is_not_found(client, ticket, dispatcher):
    attachment = _attach(ticket)
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(dispatcher)
    assert client.get(_url(attachment)).status_code == 404


def test_ticket_page_and_enterprise_page_link_the_files(client, ticket, dispatcher, enterprise_user):
    attachment = _attach(ticket)
    client.force_login(dispatcher)
    assert f'href="{_url(attachment)}"' in client.get(f"/appeals/tickets/{ticket.pk}/").content.decode()
    client.force_login(enterprise_user)
    page = client.get(reverse("appeals:my_appeal", args=[ticket.appeal.number])).content.decode()
    assert f'href="{_url(attachment)}"' in page
