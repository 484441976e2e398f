"""Settings from environment variables (src/huiqi/settings.py): the SMTP variables of the operator guide.

Settings are read once per process, so each case imports them in a fresh interpreter."""

import json
import os
import subprocess
import sys

import pytest

EMAIL_NAMES = [
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
]


def settings_with(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in EMAIL_NAMES}
    environment.update(env)
    code = (
        f"import json, huiqi.settings as s; print(json.dumps({{n: getattr(s, n) for n in {EMAIL_NAMES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout)


def test_without_email_host_mail_goes_to_the_console():
    values = settings_with()
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_email_host_switches_to_smtp_with_port_account_and_tls_from_the_environment():
    values = settings_with(
        EMAIL_HOST="smtp.example.gov.cn",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="huiqi@example.gov.cn",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="true",
    )
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("smtp.example.gov.cn", 587)
    assert (values["EMAIL_HOST_USER"], values["EMAIL_HOST_PASSWORD"]) == ("huiqi@example.gov.cn", "secret")
    assert (values["EMAIL_USE_TLS"], values["EMAIL_USE_SSL"]) == (True, False)


def test_an_explicit_backend_wins_over_email_host():
    values = settings_with(
        EMAIL_HOST="smtp.example.gov.cn", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    )
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


def test_tls_and_ssl_together_are_refused_at_start_up_with_the_reason():
    with pytest.raises(RuntimeError, match="EMAIL_USE_TLS 与 EMAIL_USE_SSL 只能设置其一"):
        settings_with(EMAIL_HOST="smtp.example.gov.cn", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
