import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from huiqi.accounts import demo
from huiqi.core import request_context


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Command(BaseCommand):
    help = "载入演示城市（济南市）：部门、区县、镇街、各角色人员、企业用户和演示企业。可重复运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enterprises",
            type=int,
            default=5000,
            help="演示企业数量 (number of synthetic enterprises; 0 = none), default 5000",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="随机种子 (seed of the synthetic registry)"
        )
        parser.add_argument(
            "--appeals",
            type=int,
            default=4000,
            help="演示诉求数量，覆盖最近一年 (appeals over the last year; 0 = categories and rules only), default 4000",
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条 (no progress bar)")
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="演示服务地址，用于打印登录地址 (where the demo is served; `make demo` passes HOST and PORT)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enterprises"] < 0:
            self.stderr.write("--enterprises 不能为负数。")
            raise SystemExit(2)
        token = request_context.set_current(request_context.RequestContext(source="command"))
        bar = tqdm(
            total=options["enterprises"],
            unit="行",
            desc="导入演示企业",
            disable=options["no_progress"] or options["enterprises"] == 0 or None,
            file=self.stderr,
        )

        def progress(done: int, expected: int) -> None:
            bar.total = expected or bar.total
            bar.update(done - bar.n)

        try:
            result = demo.load_demo(
                enterprise_count=options["enterprises"],
                seed=options["seed"],
                progress=progress,
                appeal_count=max(0, options["appeals"]),
            )
        finally:
            bar.close()
            request_context.reset(token)
        imported = result.enterprises_imported
        self.stdout.write(
            f"部门 departments: {result.departments_total}（新建 created {result.departments_created}）；"
            f"新建账号 accounts created: {result.users_created}"
        )
        if imported:
            self.stdout.write(
                "企业 enterprises: 共 {total_rows} 行 rows，新增 created {created}，更新 updated {updated}，"
                "未变化 unchanged {unchanged}，拒绝 rejected {rejected}".format(**imported)
            )
        if result.policies_summary:
            self.stdout.write(f"惠企政策 policies: {result.policies_summary}")
        if result.appeals_summary:
            self.stdout.write(f"企业诉求 appeals: {result.appeals_summary}")
        if result.search_summary:
            self.stdout.write(f"政策检索 policy search: {result.search_summary}")
        self.stdout.write(f"用时 elapsed: {result.seconds:.1f} s\n")
        header = ("用户名 Username", "角色 Role", "部门/企业 Department/Enterprise", "密码 Password")
        login_url = options["url"].rstrip("/") + "/accounts/login/"
        self.stdout.write(f"演示账号 Demo accounts ({login_url}):")
        self.stdout.write(demo.format_table(demo.account_rows(result.accounts), header, _display_width))
