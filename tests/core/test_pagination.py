import pytest

from huiqi.core.pagination import CappedPaginator
from huiqi.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory


@pytest.mark.django_db
def test_count_stops_at_the_cap_and_says_so(django_assert_num_queries):
    EnterpriseFactory.create_batch(7)
    paginator = CappedPaginator(Enterprise.objects.order_by("name"), 2, count_cap=5)
    with django_assert_num_queries(1):
        assert paginator.count == 5
    assert paginator.is_capped
    assert paginator.num_pages == 3
    assert len(paginator.page(3).object_list) == 1  # rows beyond the cap are not reachable


@pytest.mark.django_db
def test_count_below_the_cap_is_exact():
    EnterpriseFactory.create_batch(4)
    paginator = CappedPaginator(Enterprise.objects.all(), 2, count_cap=5)
    assert paginator.count == 4
    assert not paginator.is_capped


def test_lists_are_counted_too():
    paginator = CappedPaginator(list(range(12)), 5, count_cap=10)
    assert (paginator.count, paginator.is_capped) == (10, True)
