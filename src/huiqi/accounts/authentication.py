"""API token authentication: DRF's scheme (`Authorization: Token <key>`, tokens issued by
accounts.services.issue_api_token), with the user read in one plain query.

Every API request authenticates, and the 12345 platform's intake push is the busiest caller
(benchmarks/README.md, "Appeal intake throughput"): DRF's own look-up (`select_related("user").get()`)
spends more time composing its SQL than the database spends answering it. On PostgreSQL the query is
a prepared statement (core.db) and the user is built from its row; elsewhere it is a raw query set,
which converts SQLite's values. The rules are DRF's: an unknown key or an inactive user is refused
with DRF's messages. `request.auth` is the key itself.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from huiqi.accounts.models import User
from huiqi.core.db import prepared_cursor


def _user_of_token_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(field.column)}" for field in User._meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(User._meta.db_table)} u"
        f" JOIN {quote(Token._meta.db_table)} t ON t.user_id = u.id WHERE t.key = %s"
    )


def user_of_token(key: str) -> User | None:
    """The user an API token belongs to, active or not, or None."""
    if connection.vendor != "postgresql":
        return next(iter(User.objects.raw(_user_of_token_sql(), [key])), None)
    with prepared_cursor() as cursor:
        cursor.execute(_user_of_token_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    # psycopg gives every column of User in its Python type: no converter applies on PostgreSQL.
    return User.from_db(connection.alias, [field.attname for field in User._meta.concrete_fields], row)


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, str]:
        user = user_of_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key
