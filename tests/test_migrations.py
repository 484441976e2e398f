"""Every model change ships with its migration: a model edited without `makemigrations` would leave
production databases behind the code (and the coordinator's squash would miss it)."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", "--verbosity", "2", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"models have changes without a migration (exit {exit_.code}):\n{out.getvalue()}")
