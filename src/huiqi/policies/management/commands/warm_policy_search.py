"""`huiqi warm_policy_search`: fill policy search's token cache (POLICY_SEARCH_CACHE_DIR, default
var/cache/policy_search) with every document and item a search would index today, so that the first
search after a deploy reads tokens instead of segmenting the whole library (minutes for thousands of
documents). Only texts the cache lacks are segmented: a second run segments nothing.

Prints what it did on stdout. Exit status 1 when the cache cannot be written, 2 when the disk cache is
turned off (POLICY_SEARCH_CACHE_DIR empty).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from huiqi.core.errors import ApplicationError
from huiqi.policies.services import warm_policy_search


class Command(BaseCommand):
    help = "预热政策检索：对当前可检索的政策文件和奖补项目分词并写入磁盘缓存，已缓存的不再分词。"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = warm_policy_search()
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        if report.directory is None:
            raise CommandError(report.summary(), returncode=2)
        self.stdout.write(f"政策检索分词缓存：{report.summary()}。")
