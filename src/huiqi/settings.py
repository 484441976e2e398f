"""Settings from environment variables, with safe defaults for the embedded demo (SQLite).

Production needs only DATABASE_URL, SECRET_KEY and ALLOWED_HOSTS (STYLE.md, "Settings").
"""

import os
from datetime import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("HUIQI_BASE_DIR", PACKAGE_DIR.parent.parent))
VAR_DIR = Path(os.environ.get("HUIQI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "huiqi-demo-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "huiqi.core",
    "huiqi.accounts",
    "huiqi.enterprises",
    "huiqi.policies",
    "huiqi.appeals",
    "huiqi.appeals.metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "huiqi.core.middleware.RequestContextMiddleware",
    # AxesMiddleware last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huiqi.urls"
WSGI_APPLICATION = "huiqi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huiqi.core.context_processors.platform",
                "huiqi.core.context_processors.calendar_banners",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'huiqi.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a background import writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 30}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first so a locked-out account is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "huiqi.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# 等保 level 3: idle sessions end; repeated failures lock the account.
SESSION_COOKIE_AGE = int(os.environ.get("HUIQI_SESSION_TIMEOUT_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("HUIQI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A failed CSRF check (a form left open past sign-out) gets a Chinese page, not Django's English one.
CSRF_FAILURE_VIEW = "huiqi.core.views.csrf_failure"
AXES_FAILURE_LIMIT = int(os.environ.get("HUIQI_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("HUIQI_LOCKOUT_HOURS", "0.5"))
# Lock the ACCOUNT (username), wherever the attempts come from: 等保 wants repeated failures to lock
# the account, and a whole government office often reaches us from one NAT address, so an IP-based
# lock-out would shut out every colleague of one person who mistypes. Rotating user agents or cookies
# (what axes.W006 warns about) does not bypass a username lock-out, so that warning is silenced.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The Chinese page for browsers, the one API error format under /api/ (HTTP 429 both).
AXES_LOCKOUT_CALLABLE = "huiqi.accounts.lockout.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
ASSETS_DIR = Path(os.environ.get("HUIQI_ASSETS_DIR", BASE_DIR / "node_modules"))
# Front-end packages come from the npm registry at set-up (`make`), never from a CDN.
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/bootstrap", ASSETS_DIR / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", ASSETS_DIR / "bootstrap-icons" / "font"),
    ("vendor/htmx", ASSETS_DIR / "htmx.org" / "dist"),
    ("vendor/echarts", ASSETS_DIR / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("HUIQI_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
# Policy search's token cache (policies.search_index, filled by `huiqi warm_policy_search`); set
# HUIQI_POLICY_SEARCH_CACHE_DIR empty to keep tokens in memory only.
POLICY_SEARCH_CACHE_DIR = os.environ.get(
    "HUIQI_POLICY_SEARCH_CACHE_DIR", str(VAR_DIR / "cache" / "policy_search")
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first: DRF answers a request without credentials with the first class's challenge, so
    # this order gives 401 + "WWW-Authenticate: Token" (session auth has no challenge: it would be 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "huiqi.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "huiqi.core.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "惠企 Huiqi API",
    "DESCRIPTION": "一个城市的惠企服务平台接口 (Huiqi: a city's platform of services to enterprises).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" field; name each choice set after its enum.
    "ENUM_NAME_OVERRIDES": {
        "EnterpriseStatusEnum": "huiqi.enterprises.enums.EnterpriseStatus",
        "ImportStatusEnum": "huiqi.enterprises.enums.ImportStatus",
        "PolicyLevelEnum": "huiqi.policies.enums.PolicyLevel",
        "PolicyVersionStatusEnum": "huiqi.policies.workflow.VersionStatus",
        "PolicyVersionStepEnum": "huiqi.policies.workflow.Step",
        "PolicyMatchStatusEnum": "huiqi.policies.enums.MatchStatus",
        "PolicyMatchRunStatusEnum": "huiqi.policies.models.MatchRunStatus",
        "AppealKindEnum": "huiqi.appeals.enums.Kind",
        "AppealChannelEnum": "huiqi.appeals.enums.Channel",
        "AppealPriorityEnum": "huiqi.appeals.enums.Priority",
        "TicketStateEnum": "huiqi.appeals.enums.TicketState",
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("HUIQI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Email: printed to the console by default (the demo sends nothing). Setting EMAIL_HOST switches to
# SMTP unless EMAIL_BACKEND says otherwise. Port 465 is implicit TLS (EMAIL_USE_SSL), 587 STARTTLS
# (EMAIL_USE_TLS); a government mail relay on the intranet is often port 25 without either.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS 与 EMAIL_USE_SSL 只能设置其一：端口 587 用 EMAIL_USE_TLS，端口 465 用 EMAIL_USE_SSL。"
    )
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))  # seconds; a hung relay must not block a worker
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "huiqi@localhost")
# Notification channels: dotted paths of huiqi.core.notifications backends.
HUIQI_SMS_BACKEND = os.environ.get("HUIQI_SMS_BACKEND", "huiqi.core.notifications.backends.FileSmsBackend")
HUIQI_SMS_FILE_DIR = Path(os.environ.get("HUIQI_SMS_FILE_DIR", VAR_DIR / "sms"))
# Delivery retries (core.notifications): attempts before a notification is marked failed, and the first
# backoff in seconds (doubling each time, at most an hour). Links in email/SMS are made absolute with
# HUIQI_SITE_URL.
HUIQI_NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("HUIQI_NOTIFICATION_MAX_ATTEMPTS", "5"))
HUIQI_NOTIFICATION_RETRY_SECONDS = int(os.environ.get("HUIQI_NOTIFICATION_RETRY_SECONDS", "60"))
HUIQI_SITE_URL = os.environ.get("HUIQI_SITE_URL", "http://127.0.0.1:8000")

# Office hours for working-hour time limits (core.workdays); default 09:00-12:00 and 13:30-17:30.
HUIQI_OFFICE_HOURS = [
    (time.fromisoformat(a), time.fromisoformat(b))
    for a, b in (span.split("-") for span in env_list("HUIQI_OFFICE_HOURS", "09:00-12:00,13:30-17:30"))
]
# The working-day calendar is cached in each process; other processes see an edit within this time.
HUIQI_CALENDAR_CACHE_SECONDS = int(os.environ.get("HUIQI_CALENDAR_CACHE_SECONDS", "300"))
# Audit events are kept at least 184 days (等保 level 3; 网络安全法 article 21: six months).
HUIQI_AUDIT_RETENTION_DAYS = max(184, int(os.environ.get("HUIQI_AUDIT_RETENTION_DAYS", "184")))
# External sign-in (OIDC/CAS) is a seam: a dotted path to a provider class, off by default.
HUIQI_EXTERNAL_SIGNIN_PROVIDER = os.environ.get("HUIQI_EXTERNAL_SIGNIN_PROVIDER", "")
# Appeal classification (appeals.classification): the confidence at or above which a new appeal is
# dispatched automatically (unset: the active model's own threshold; above 1: never), and where the
# trained models are saved (unset: "models" beside MEDIA_ROOT, i.e. var/models).
HUIQI_AUTO_DISPATCH_CONFIDENCE = os.environ.get("HUIQI_AUTO_DISPATCH_CONFIDENCE") or None
HUIQI_CLASSIFIER_DIR = os.environ.get("HUIQI_CLASSIFIER_DIR") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
