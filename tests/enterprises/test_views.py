import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from huiqi.accounts.enums import Role
from huiqi.enterprises.enums import ChangeSource, ImportStatus
from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory, uscc_for

pytestmark = pytest.mark.django_db

STAFF_READERS = [r for r in Role if r not in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.ENTERPRISE)]
CSV_HEADER = "uscc,name,region_code,industry_code,established_on,employees\n"


def signed_in(client, role, **kwargs):
    user = UserFactory(role=role, **kwargs)
    client.force_login(user)
    return user


# -- list -----------------------------------------------------------------------------------


def test_list_requires_sign_in(client):
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", STAFF_READERS)
def test_list_shows_the_registry_to_staff_who_work_with_enterprises(client, role):
    enterprise = EnterpriseFactory(name="济南列表测试有限公司", region_code="370103", red_list=True)
    signed_in(client, role)
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert enterprise.name in page
    assert enterprise.uscc in page
    assert "市中区" in page
    assert "红名单" in page


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_list_is_refused_to_the_security_and_audit_administrators(client, role):
    enterprise = EnterpriseFactory()
    signed_in(client, role)
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 403
    assert enterprise.name not in response.content.decode()


def test_list_sends_an_enterprise_user_to_its_own_enterprises(client):
    client.force_login(EnterpriseUserFactory())
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:mine")


def test_list_masks_phones_for_a_dispatcher_and_shows_them_to_an_agent(client):
    EnterpriseFactory(contact_phone="13812345678")
    signed_in(client, Role.DISPATCHER)
    page = client.get(reverse("enterprises:list")).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    signed_in(client, Role.AGENT)
    assert "13812345678" in client.get(reverse("enterprises:list")).content.decode()


def test_list_filters_and_htmx_request_gets_only_the_table(client):
    wanted = EnterpriseFactory(name="济南甲软件有限公司", tags="高新技术企业")
    other = EnterpriseFactory(name="济南乙机械有限公司")
    signed_in(client, Role.SUPERVISOR)
    response = client.get(reverse("enterprises:list"), {"tag": "高新技术企业"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="registry-filters"' not in body
    assert wanted.name in body
    assert other.name not in body
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("enterprises:list"), {"q": "乙机械"}).content.decode()
    assert "<html" in full
    assert other.name in full
    assert wanted.name not in full


def test_list_pages_through_the_registry(client):
    EnterpriseFactory.create_batch(55)
    signed_in(client, Role.LEADER)
    first = client.get(reverse("enterprises:list"), {"order": "uscc"}).content.decode()
    second = client.get(reverse("enterprises:list"), {"order": "uscc", "page": 2}).content.decode()
    assert "共 55 家企业，第 1 / 2 页" in first
    assert first.count("/edit/") == 0  # nobody but the administrator edits
    assert "第 2 / 2 页" in second
    assert "order=uscc&amp;page=1" in second


def test_list_says_when_the_count_is_capped(client, monkeypatch):
    monkeypatch.setattr("huiqi.enterprises.views.COUNT_CAP", 60)
    EnterpriseFactory.create_batch(61)
    signed_in(client, Role.LEADER)
    page = client.get(reverse("enterprises:list")).content.decode()
    assert "超过 60 家企业" in page
    assert "仅可翻阅前 2 页" in page
    last = client.get(reverse("enterprises:list"), {"page": 99}).content.decode()
    assert "第 2 / 2 页" not in last  # capped: the count line no longer claims a total
    assert last.count('class="link-dark') == 10  # page 2 holds rows 51-60 of the capped 60


# -- detail and history ---------------------------------------------------------------------


def test_detail_shows_profile_derived_facts_tags_and_history(client):
    enterprise = EnterpriseFactory(tags="专精特新中小企业;高新技术企业", revenue=1000000, rd_expense=40000)
    admin = UserFactory(role=Role.SYSTEM_ADMIN, full_name="张管理")
    batch = ImportBatch.objects.create(file_name="源文件.xlsx", status=ImportStatus.DONE)
    ProfileChange.objects.create(
        enterprise=enterprise,
        field="*",
        source=ChangeSource.IMPORT,
        batch=batch,
        changed_by=admin,
        changed_at=enterprise.created_at,
    )
    signed_in(client, Role.HANDLER)
    page = client.get(reverse("enterprises:detail", args=[enterprise.uscc])).content.decode()
    assert "专精特新中小企业" in page
    assert "高新技术企业" in page
    assert "4.00%" in page  # 研发费用占比 40,000 / 1,000,000
    assert "年" in page
    assert 'id="fact-age"' in page
    assert "新建企业" in page
    assert "源文件.xlsx" in page
    assert "张管理" in page
    assert reverse("enterprises:edit", args=[enterprise.uscc]) not in page


def test_detail_of_an_unknown_uscc_is_a_404_page_in_chinese(client):
    signed_in(client, Role.AGENT)
    response = client.get(reverse("enterprises:detail", args=[uscc_for(4242)]))
    assert response.status_code == 404
    assert "市场主体库中没有" in response.content.decode()


def test_enterprise_user_sees_its_own_enterprise_and_not_another(client):
    own, stranger = EnterpriseFactory.create_batch(2)
    client.force_login(EnterpriseUserFactory(enterprises=[own]))
    assert client.get(reverse("enterprises:detail", args=[own.uscc])).status_code == 200
    refused = client.get(reverse("enterprises:detail", args=[stranger.uscc]))
    assert refused.status_code == 403
    assert stranger.name not in refused.content.decode()
    mine = client.get(reverse("enterprises:mine")).content.decode()
    assert own.name in mine
    assert stranger.name not in mine


def test_my_enterprises_sends_staff_to_the_registry(client):
    signed_in(client, Role.AGENT)
    response = client.get(reverse("enterprises:mine"))
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:list")


# -- edit -----------------------------------------------------------------------------------


def test_administrator_edits_a_profile_and_the_change_is_in_its_history(client):
    enterprise = EnterpriseFactory(employees=40)
    signed_in(client, Role.SYSTEM_ADMIN, full_name="李管理")
    url = reverse("enterprises:edit", args=[enterprise.uscc])
    form = client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data["employees"] = "120"
    data["red_list"] = ""  # an unchecked box is absent
    del data["red_list"]
    response = client.post(url, data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.employees == 120
    change = ProfileChange.objects.get(enterprise=enterprise, field="employees")
    assert (change.old_value, change.new_value, change.source) == ("40", "120", ChangeSource.USER)
    detail = client.get(reverse("enterprises:detail", args=[enterprise.uscc])).content.decode()
    assert "从业人员" in detail
    assert "页面修改" in detail
    assert "李管理" in detail


def test_edit_shows_the_service_s_field_errors_and_changes_nothing(client):
    enterprise = EnterpriseFactory(industry_code="I6513")
    signed_in(client, Role.SYSTEM_ADMIN)
    url = reverse("enterprises:edit", args=[enterprise.uscc])
    data = {
        name: ("" if value is None else value)
        for name, value in client.get(url).context["form"].initial.items()
    }
    data.pop("red_list")
    data["industry_code"] = "C6513"  # division 65 is not in section C (GB/T 4754-2017)
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["industry_code"]
    assert "门类" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.industry_code == "I6513"
    assert not ProfileChange.objects.filter(enterprise=enterprise).exists()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.LEADER, Role.AGENT])
def test_edit_is_refused_to_everyone_but_the_administrator(client, role):
    enterprise = EnterpriseFactory()
    signed_in(client, role)
    url = reverse("enterprises:edit", args=[enterprise.uscc])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "改名"}).status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.name != "改名"


# -- import ---------------------------------------------------------------------------------


def upload(name, text):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_page_imports_a_file_and_the_batch_page_reports_the_bad_row(
    client, django_capture_on_commit_callbacks
):
    good = uscc_for(5001)
    signed_in(client, Role.SYSTEM_ADMIN)
    content = (
        CSV_HEADER + f"{good},甲公司,370102,I6513,2019-04-01,10\n" + "BAD,乙公司,370102,I6513,2019-04-01,3\n"
    )
    with django_capture_on_commit_callbacks(execute=True):  # the import task is queued after commit
        response = client.post(reverse("enterprises:import"), {"file": upload("企业.csv", content)})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:import_batch", args=[batch.pk])
    assert Enterprise.objects.filter(uscc=good).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'id="count-created">1<' in page
    assert 'id="count-rejected">1<' in page
    assert "第 3 行" in page
    assert "BAD" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    report = client.get(reverse("enterprises:import_errors", args=[batch.pk, "csv"]))
    assert report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[1][0] == "3"
    assert rows[1][2] == "BAD"
    xlsx = client.get(reverse("enterprises:import_errors", args=[batch.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=2, column=1).value in (3, "3")


def test_dry_run_import_writes_nothing(client, django_capture_on_commit_callbacks):
    signed_in(client, Role.SYSTEM_ADMIN)
    content = CSV_HEADER + f"{uscc_for(5002)},甲公司,370102,I6513,2019-04-01,10\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import"), {"file": upload("a.csv", content), "dry_run": "on"})
    batch = ImportBatch.objects.get()
    assert batch.is_dry_run
    assert batch.created_count == 1
    assert not Enterprise.objects.exists()


def test_import_form_refuses_other_file_types(client):
    signed_in(client, Role.SYSTEM_ADMIN)
    response = client.post(reverse("enterprises:import"), {"file": upload("a.txt", "x")})
    assert response.status_code == 200
    assert "只接受 .csv 或 .xlsx 文件" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_running_batch_page_polls_for_progress(client):
    admin = signed_in(client, Role.SYSTEM_ADMIN)
    batch = ImportBatch.objects.create(
        file_name="大文件.csv",
        status=ImportStatus.RUNNING,
        total_rows=200,
        processed_rows=50,
        started_by=admin,
    )
    page = client.get(reverse("enterprises:import_batch", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "25%" in page
    partial = client.get(reverse("enterprises:import_batch", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert 'hx-trigger="every 1s"' in partial.content.decode()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.LEADER, Role.ENTERPRISE])
def test_import_pages_are_refused_to_everyone_but_the_administrator(client, role):
    batch = ImportBatch.objects.create(file_name="a.csv")
    signed_in(client, role)
    assert client.get(reverse("enterprises:import")).status_code == 403
    assert client.get(reverse("enterprises:import_batch", args=[batch.pk])).status_code == 403
    assert client.get(reverse("enterprises:import_errors", args=[batch.pk, "csv"])).status_code == 403
    response = client.post(reverse("enterprises:import"), {"file": upload("a.csv", CSV_HEADER)})
    assert response.status_code == 403


# -- export ---------------------------------------------------------------------------------


def test_export_downloads_the_filtered_registry_with_phones_masked_for_a_leader(client):
    EnterpriseFactory(name="导出甲", contact_phone="13812345678", red_list=True)
    EnterpriseFactory(name="导出乙", red_list=False)
    signed_in(client, Role.LEADER)
    response = client.get(reverse("enterprises:export"), {"format": "csv", "red_list": "1"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["导出甲"]
    assert rows[0]["contact_phone"] == "138****5678"


def test_export_is_refused_to_roles_that_do_not_take_the_registry_away(client):
    signed_in(client, Role.DISPATCHER)
    assert client.get(reverse("enterprises:export"), {"format": "csv"}).status_code == 403


def test_export_refuses_an_unknown_format(client):
    signed_in(client, Role.SYSTEM_ADMIN)
    assert client.get(reverse("enterprises:export"), {"format": "pdf"}).status_code == 400


def test_export_masks_phones_for_a_specialist_although_the_page_shows_them(client):
    enterprise = EnterpriseFactory(contact_phone="13812345678")
    signed_in(client, Role.SPECIALIST)
    page = client.get(reverse("enterprises:detail", args=[enterprise.uscc])).content.decode()
    assert "13812345678" in page
    response = client.get(reverse("enterprises:export"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["contact_phone"] == "138****5678"


def test_export_gives_the_system_administrator_full_phones(client):
    EnterpriseFactory(contact_phone="13812345678")
    signed_in(client, Role.SYSTEM_ADMIN)
    response = client.get(reverse("enterprises:export"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["contact_phone"] == "13812345678"


def test_export_with_a_mistyped_filter_exports_nothing_and_says_which_filter(client):
    EnterpriseFactory.create_batch(2)
    signed_in(client, Role.LEADER)
    response = client.get(reverse("enterprises:export"), {"format": "csv", "size_class": "huge"})
    assert response.status_code == 400
    assert "规模“huge”无效" in response.content.decode()


# -- filters --------------------------------------------------------------------------------


def test_list_with_a_mistyped_filter_shows_the_error_and_no_enterprises(client):
    EnterpriseFactory(name="甲公司")
    signed_in(client, Role.HANDLER)
    response = client.get(reverse("enterprises:list"), {"q": "甲", "size_class": "huge"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "筛选条件有误" in html
    assert "规模“huge”无效" in html
    assert "甲公司" not in html


def test_list_accepts_the_api_spelling_of_the_red_list_filter(client):
    EnterpriseFactory(name="红名单甲", red_list=True)
    EnterpriseFactory(name="普通乙", red_list=False)
    signed_in(client, Role.HANDLER)
    html = client.get(reverse("enterprises:list"), {"red_list": "true"}).content.decode()
    assert "红名单甲" in html
    assert "普通乙" not in html
    assert "筛选条件有误" not in html
