"""Background entry points of the appeals app (django-tasks). Each calls a service.

`classify_and_route` is enqueued by registration after its commit (appeals.classification): it stores
the classifier's suggestion and dispatches the ticket when the suggestion is confident enough.
`supervise_tickets` is enqueued by the operator's scheduler (or run as `huiqi supervise_tickets` from
cron) every few minutes; running it more often creates nothing twice."""

from django_tasks import task

from huiqi.appeals import classification, services


@task()
def supervise_tickets() -> dict[str, int]:
    report = services.supervise_overdue_tickets()
    return {level: len(ids) for level, ids in report.created.items()}


@task()
def classify_and_route(appeal_id: int) -> dict[str, object]:
    outcome = classification.classify_and_route_appeal(appeal_id=appeal_id)
    return {"classified": outcome.classified, "dispatched": outcome.dispatched, "reason": outcome.reason}
