"""API token authentication: DRF's scheme (`Authorization: Token <key>`, tokens issued by
accounts.services.issue_api_token), with the user read in one plain query.

Every API request authenticates, and the 12345 platform's intake push is the busiest caller
(benchmarks/README.md, "Appeal intake throughput"): DRF's own look-up (`select_related("user").get()`)
spends more time composing its SQL than the database spends answering it. The rules are DRF's: an
unknown key or an inactive user is refused with DRF's messages. `request.auth` is the key itself.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from huiqi.accounts.models import User


def _user_of_token_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT u.* FROM {quote(User._meta.db_table)} u"
        f" JOIN {quote(Token._meta.db_table)} t ON t.user_id = u.id WHERE t.key = %s"
    )


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, str]:
        user = next(iter(User.objects.raw(_user_of_token_sql(), [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key
