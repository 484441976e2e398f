"""Background entry points of the metrics (django-tasks), for deployments that prefer to keep the
fact refresh out of the request: enqueue `refresh_appeal_fact_task` on commit instead of calling
facts.refresh_appeal_fact_on_commit, and schedule `catch_up_appeal_facts` every few minutes."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from huiqi.appeals.metrics import facts


@task()
def refresh_appeal_fact_task(ticket_id: int) -> None:
    facts.refresh_appeal_fact(ticket=ticket_id)


@task()
def catch_up_appeal_facts(minutes: int = 15) -> int:
    since = timezone.now() - dt.timedelta(minutes=minutes)
    return facts.refresh_appeal_facts(updated_since=since)
