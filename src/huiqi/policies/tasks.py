"""Background entry points of the policy library (django-tasks; `huiqi db_worker` runs them, the
immediate backend in tests). Each calls a service of match_runs.py or services.py."""

from typing import Any

from django_tasks import task

from huiqi.policies import match_runs, services
from huiqi.policies.models import MatchRun


@task()
def match_all_items(run_id: int) -> dict[str, Any]:
    """Runs a MatchRun queued by match_runs.start_match_run (all items, or the items it names)."""
    run = MatchRun.objects.get(pk=run_id)
    run = match_runs.process_match_run(run=run)
    return {
        "run_id": run.pk,
        "status": run.status,
        "items": run.total_items,
        "eligible": run.eligible_count,
        "needs_info": run.needs_info_count,
    }


@task()
def rematch_enterprises(enterprise_ids: list[int]) -> int:
    """Refreshes the stored results of enterprises whose profiles changed (match_runs.on_profiles_changed)."""
    return match_runs.refresh_enterprise_matches(enterprise_ids=enterprise_ids)


@task()
def warm_policy_search() -> dict[str, Any]:
    """Segments the texts a publication made searchable (services.schedule_search_warming), so that the
    next search finds their tokens in the cache instead of running jieba itself."""
    report = services.warm_policy_search()
    return {
        "documents": report.documents,
        "items": report.items,
        "segmented": report.segmented,
        "seconds": round(report.seconds, 3),
    }
