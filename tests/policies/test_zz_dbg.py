from tests.policies.test_views_editor import *
def test_dbg(client, editor, reviewer, in_review):
    services.publish_item_version(actor=reviewer, version=in_review)
    client.force_login(editor)
    client.post(reverse("policies:version_new", args=[in_review.item.code]))
    second = PolicyItemVersion.objects.get(item=in_review.item, number=2)
    changed = {"all": [{"field": "region_code", "op": "starts_with", "value": "3701"}, {"field": "revenue", "op": "ge", "value": 25000000}]}
    drafting.update_draft_version(actor=editor, version=second, data=form_data(eligibility=changed, examples=[]))
    page = client.get(version_page(second)).content.decode()
    i = page.index('version-diff')
    print(page[i:i+3000])
