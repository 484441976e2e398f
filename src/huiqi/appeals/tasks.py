"""Background entry points of the appeals app (django-tasks). Each calls a service.

`after_registration` is enqueued by registration in its own transaction (services.intake): it tells
the enterprise the number, writes the metrics' fact, and classifies and possibly dispatches the
appeal. `classify_and_route` does the last part alone (an appeal classified again on demand).
`supervise_tickets` is enqueued by the operator's scheduler (or run as `huiqi supervise_tickets` from
cron) every few minutes; running it more often creates nothing twice."""

from django_tasks import task

from huiqi.appeals import classification, services


@task()
def supervise_tickets() -> dict[str, int]:
    report = services.supervise_overdue_tickets()
    return {level: len(ids) for level, ids in report.created.items()}


@task()
def after_registration(appeal_id: int) -> dict[str, object]:
    return services.complete_registration(appeal_id=appeal_id)


@task()
def classify_and_route(appeal_id: int) -> dict[str, object]:
    outcome = classification.classify_and_route_appeal(appeal_id=appeal_id)
    return {"classified": outcome.classified, "dispatched": outcome.dispatched, "reason": outcome.reason}
