"""Background entry points of the appeals app (django-tasks). Each calls a service.

`supervise_tickets` is enqueued by the operator's scheduler (or run as `huiqi supervise_tickets` from
cron) every few minutes; running it more often creates nothing twice."""

from django_tasks import task

from huiqi.appeals import services


@task()
def supervise_tickets() -> dict[str, int]:
    report = services.supervise_overdue_tickets()
    return {level: len(ids) for level, ids in report.created.items()}
