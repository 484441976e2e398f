import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files and the search token cache of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"  # never the repository's var/
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The production hasher is slow on purpose; tests set and check passwords many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_working_day_calendar():
    """The working-day calendar is cached per process (core.workdays): a test starts and ends with no
    snapshot, so rows a rolled-back test wrote never leak into the next one."""
    from huiqi.core import workdays

    workdays.invalidate_cache()
    yield
    workdays.invalidate_cache()


@pytest.fixture(autouse=True)
def _fresh_time_limit_rules():
    """The active time-limit rules are cached per process (appeals.time_limits): a rolled-back test's
    rules never reach the next test."""
    from huiqi.appeals.time_limits import forget_rules

    forget_rules()
    yield
    forget_rules()


@pytest.fixture
def holiday_calendar(db):
    """The chinesecalendar schedules 2004-2026 in the database, as the seed migration leaves them; seeds
    them again if a transactional test (live server, browser) has emptied the tables."""
    from huiqi.core.calendar_services import seed_holidays_from_chinesecalendar

    seed_holidays_from_chinesecalendar(first_year=2004, last_year=2026)
