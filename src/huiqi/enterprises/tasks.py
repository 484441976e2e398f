"""Background entry points of the enterprise registry (django-tasks; the database backend runs them
in `huiqi db_worker`, the immediate backend in tests). Each calls a service."""

from typing import Any

from django_tasks import task

from huiqi.enterprises import services
from huiqi.enterprises.models import ImportBatch


@task()
def import_batch(batch_id: int) -> dict[str, Any] | None:
    """Imports the file of an ImportBatch queued by services.start_import_batch."""
    batch = ImportBatch.objects.select_related("started_by").get(pk=batch_id)
    result = services.process_import_batch(batch=batch)
    return None if result is None else result.counts()
