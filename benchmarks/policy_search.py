"""Benchmark: policy search (huiqi.policies.search) over 5,000 generated Chinese policy documents.

Generates a library of synthetic but realistic documents (titles, 文号, issuing departments, levels,
regions, themes, validity, and a full text of 1,500-4,000 characters in the register of local
enterprise-support policies) and published items with eligibility rules, from phrase lists written
for this script; loads it into a fresh database; then measures

  * building the index cold (every text segmented by jieba) and warm (tokens from the cache on
    disk, as a restarted process does);
  * a few hundred queries of one to three words, most with filters (level, department, region,
    theme, currently effective, open for application, type), end to end through search_policies:
    the per-query freshness check against the database, scoring, filtering, and the highlighted
    snippets of the first page of 20 hits;
  * the first query after a document is edited (rebuild from cached tokens).

    .venv/bin/python benchmarks/policy_search.py [--documents 5000] [--items 500] [--queries 400]
        [--postgres postgresql://postgres@127.0.0.1:5433/postgres]

SQLite by default (a fresh file under --work-dir); with --postgres the script creates (and drops
first) the database `huiqi_bench_search` on that server. Results are printed as Markdown.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "huiqi_bench_search"

# ------------------------------------------------------------------------------ phrase lists
CITIES = [
    ("济南市", "370100", ["历下区", "市中区", "槐荫区", "天桥区", "历城区"], ["370102", "370103", "370104", "370105", "370112"]),
    ("德阳市", "510600", ["旌阳区", "罗江区", "广汉市", "什邡市", "绵竹市"], ["510603", "510604", "510681", "510682", "510683"]),
    ("青岛市", "370200", ["市南区", "市北区", "黄岛区", "崂山区", "城阳区"], ["370202", "370203", "370211", "370212", "370214"]),
]  # fmt: skip
PROVINCES = [("山东省", "370000"), ("四川省", "510000")]
DEPARTMENTS = [
    ("工业和信息化局", "工信发"), ("科学技术局", "科发"), ("财政局", "财企"), ("商务局", "商务发"),
    ("发展和改革委员会", "发改"), ("人力资源和社会保障局", "人社发"), ("地方金融监督管理局", "金融发"),
    ("市场监督管理局", "市监发"), ("大数据局", "数发"), ("投资促进局", "投促发"),
]  # fmt: skip
NATIONAL_DEPARTMENTS = [
    ("工业和信息化部", "工信部企业"),
    ("科技部", "国科发"),
    ("财政部", "财税"),
    ("国务院办公厅", "国办发"),
]
TOPICS = [
    ("专精特新中小企业", "企业培育"), ("高新技术企业", "科技创新"), ("科技型中小企业", "科技创新"),
    ("企业研发投入", "科技创新"), ("数字经济", "数字经济"), ("智能制造", "制造业"), ("工业互联网", "数字经济"),
    ("企业技术改造", "制造业"), ("首台套重大技术装备", "制造业"), ("总部经济", "招商引资"),
    ("外贸稳增长", "外贸"), ("跨境电子商务", "外贸"), ("小微企业融资", "金融支持"), ("创业担保贷款", "金融支持"),
    ("稳岗就业", "就业"), ("高校毕业生就业", "就业"), ("高层次人才引进", "人才"), ("知识产权", "知识产权"),
    ("绿色低碳转型", "绿色发展"), ("节能降耗", "绿色发展"), ("商贸流通", "消费"), ("夜间经济", "消费"),
    ("文化旅游产业", "文旅"), ("现代物流", "物流"), ("生物医药产业", "产业发展"), ("新能源汽车产业", "产业发展"),
    ("集成电路产业", "产业发展"), ("软件和信息技术服务业", "数字经济"), ("孵化器和众创空间", "创新创业"),
    ("初创企业", "创新创业"), ("民营经济", "营商环境"), ("个体工商户", "营商环境"), ("企业上市挂牌", "金融支持"),
    ("瞪羚企业和独角兽企业", "企业培育"), ("单项冠军企业", "企业培育"), ("质量品牌建设", "质量"),
]  # fmt: skip
TITLE_FORMS = [
    "{place}关于支持{topic}高质量发展的若干措施", "{place}关于加快{topic}发展的实施意见",
    "{place}{topic}扶持资金管理办法", "{place}关于促进{topic}发展的若干政策", "关于印发《{place}{topic}奖励办法》的通知",
    "{place}关于进一步支持{topic}的通知", "{place}{topic}专项资金申报指南（{year}年度）",
    "关于做好{year}年度{topic}认定工作的通知",
]  # fmt: skip
PREAMBLES = [
    "为深入贯彻落实党中央、国务院关于促进中小企业发展的决策部署，进一步优化营商环境，激发市场主体活力，结合本地实际，制定本措施。",
    "为加快推进{topic}发展，培育壮大新动能，推动经济高质量发展，根据有关法律法规和政策规定，制定本办法。",
    "为认真落实省委、省政府工作要求，支持{topic}做大做强，现就有关事项通知如下。",
    "为进一步发挥财政资金引导作用，规范{topic}专项资金管理，提高资金使用效益，制定本办法。",
]  # fmt: skip
MEASURES = [
    "对新认定的国家级专精特新“小巨人”企业，给予一次性奖励{amount}万元。",
    "对首次认定的高新技术企业，给予{amount}万元奖励；对重新认定的，给予{half}万元奖励。",
    "对年度研发费用占营业收入比例达到{pct}%以上的企业，按研发费用增量的{pct2}%给予后补助，最高不超过{amount}万元。",
    "对企业购置生产设备、实施技术改造的，按设备投资额的{pct2}%给予补助，单个项目最高{amount}万元。",
    "对小微企业新增贷款，按贷款市场报价利率的{pct2}%给予贷款贴息，贴息期限不超过{years}年。",
    "对租用标准厂房的初创企业，前{years}年按实际租金的{pct2}%给予房租补贴，每年最高{amount}万元。",
    "对上年度纳税额首次突破{tax}万元的企业，按地方财政贡献增量的{pct2}%给予奖励。",
    "对新引进的总部企业，按实缴注册资本给予落户奖励，最高不超过{amount}万元。",
    "对不裁员或少裁员的参保企业，按上年度实际缴纳失业保险费的{pct2}%予以返还。",
    "对企业新招用高校毕业生并签订一年以上劳动合同的，按每人{small}元给予一次性吸纳就业补贴。",
    "对获得发明专利授权的企业，每件给予{small}元资助；对获得中国专利金奖的，给予{amount}万元奖励。",
    "对首台（套）重大技术装备产品，按产品单价的{pct2}%给予奖励，最高{amount}万元。",
    "对企业实施数字化改造、上云用云的，按软硬件投入的{pct2}%给予补助，最高{amount}万元。",
    "对年度进出口额首次突破{tax}万美元的外贸企业，给予{amount}万元一次性奖励。",
    "对在境内外资本市场成功上市的企业，分阶段给予累计不超过{amount}万元的奖励。",
    "对绿色工厂、绿色供应链管理企业，分别给予{amount}万元奖励。",
    "对新认定的省级以上孵化器和众创空间，给予{amount}万元运营补助。",
    "对引进的高层次人才，给予最高{amount}万元安家补贴，并在子女入学、医疗保障等方面提供便利。",
]  # fmt: skip
CONDITIONS = [
    "申报企业应在本市依法注册登记，具有独立法人资格，财务管理制度健全。",
    "申报企业近三年内未发生重大安全、环保、质量事故，未被列入严重失信主体名单。",
    "申报企业上年度营业收入不低于{tax}万元，且研发费用占营业收入比例不低于{pct}%。",
    "申报企业从业人员不少于{people}人，其中研发人员占比不低于{pct}%。",
    "同一企业同一项目已获得市级其他财政资金支持的，不得重复申报。",
    "申报企业须按时足额缴纳税款和社会保险费，纳税信用等级为B级以上。",
]  # fmt: skip
PROCEDURES = [
    "企业通过惠企政策服务平台在线提交申报材料，由所在区县主管部门初审后报市级主管部门。",
    "市级主管部门会同财政部门组织专家评审，评审结果在部门网站公示五个工作日。",
    "公示无异议的，由财政部门按程序拨付资金。符合免申即享条件的，由系统自动兑现，企业无需申报。",
    "申报材料包括申报表、营业执照、上年度财务审计报告、纳税证明等，企业对材料真实性负责。",
    "对弄虚作假、骗取财政资金的，追回已拨付资金，并按有关规定追究责任。",
]  # fmt: skip
CLOSINGS = [
    "本措施自发布之日起施行，有效期{years}年。此前有关规定与本措施不一致的，以本措施为准。",
    "本办法由市{dept}负责解释，自{date}起施行。",
    "各区县、各有关部门要高度重视，加强组织领导，确保各项政策措施落地见效。",
]  # fmt: skip
QUERIES = [
    "专精特新", "研发费用", "高新技术企业", "房租补贴", "贷款贴息", "技术改造", "首台套", "稳岗", "失业保险费返还",
    "数字化改造", "上云用云", "总部企业", "人才引进", "安家补贴", "知识产权", "发明专利", "孵化器", "众创空间",
    "上市奖励", "绿色工厂", "外贸", "跨境电子商务", "一次性奖励", "研发费用 后补助", "专精特新 小巨人",
    "高校毕业生 就业补贴", "小微企业 贷款", "免申即享", "营业收入 研发", "智能制造 补助", "数字经济 奖励",
    "初创企业 房租", "纳税信用", "生物医药", "集成电路", "新能源汽车", "夜间经济", "文化旅游", "现代物流",
    "质量品牌", "单项冠军", "瞪羚企业", "企业研发费用补助怎么申请", "设备投资 补助", "财政资金 管理",
]  # fmt: skip
ITEM_TAGS = ["高新技术企业", "专精特新", "科技型中小企业", "瞪羚企业", "规上企业"]


def _fill(template: str, rng: random.Random, **known: str) -> str:
    values = {
        "amount": str(rng.choice([10, 20, 30, 50, 100, 200, 300, 500])),
        "half": str(rng.choice([5, 10, 15, 25])),
        "pct": str(rng.choice([3, 4, 5, 6, 10])),
        "pct2": str(rng.choice([10, 20, 30, 50, 60])),
        "years": str(rng.choice([2, 3, 5])),
        "tax": str(rng.choice([500, 1000, 2000, 5000, 10000])),
        "small": str(rng.choice([1000, 2000, 3000, 5000])),
        "people": str(rng.choice([10, 20, 50, 100])),
        "date": f"{rng.randint(2021, 2026)}年{rng.randint(1, 12)}月1日",
        **known,
    }
    return template.format(**values)


def chinese_numeral(number: int) -> str:
    """1..99 as written in article numbers: 一, 十, 十二, 二十, 二十一."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    text = ("" if tens <= 1 else digits[tens]) + ("十" if tens else "")
    return text + (digits[ones] if ones else "")


def generate_documents(count: int, rng: random.Random, today: date) -> list[dict]:
    """`count` documents, each a dict of PolicyDocument fields."""
    documents = []
    for _ in range(count):
        level = rng.choices(["national", "province", "city", "district"], weights=[1, 2, 5, 3])[0]
        city, city_code, districts, district_codes = rng.choice(CITIES)
        if level == "national":
            place, region = "", "100000"
            department, prefix = rng.choice(NATIONAL_DEPARTMENTS)
        elif level == "province":
            place, region = rng.choice(PROVINCES)
            name, prefix = rng.choice(DEPARTMENTS)
            department = place + name.replace("局", "厅").replace("委员会", "委员会")
        elif level == "city":
            place, region = city, city_code
            name, prefix = rng.choice(DEPARTMENTS)
            department = city + name
        else:
            index = rng.randrange(len(districts))
            place, region = city + districts[index], district_codes[index]
            name, prefix = rng.choice(DEPARTMENTS)
            department = districts[index] + name
        topic, theme = rng.choice(TOPICS)
        extra_theme = rng.choice(TOPICS)[1]
        year = rng.randint(2019, 2026)
        title = rng.choice(TITLE_FORMS).format(place=place, topic=topic, year=year)
        published = date(year, rng.randint(1, 12), rng.randint(1, 28))
        valid_to = published + timedelta(days=365 * rng.choice([2, 3, 5])) if rng.random() < 0.8 else None
        parts = [_fill(rng.choice(PREAMBLES), rng, topic=topic)]
        for article in range(rng.randint(12, 30)):
            kind = rng.random()
            if kind < 0.55:
                sentence = _fill(rng.choice(MEASURES), rng)
            elif kind < 0.8:
                sentence = _fill(rng.choice(CONDITIONS), rng)
            else:
                sentence = rng.choice(PROCEDURES)
            extra = _fill(rng.choice(MEASURES + CONDITIONS), rng) if rng.random() < 0.5 else ""
            label = chinese_numeral(article + 1)
            parts.append(f"第{label}条 {sentence}{extra}")
        parts.append(_fill(rng.choice(CLOSINGS), rng, dept=rng.choice(DEPARTMENTS)[0]))
        documents.append(
            {
                "title": title,
                "document_number": f"{prefix}〔{year}〕{rng.randint(1, 120)}号",
                "issuing_department": department,
                "level": level,
                "region_code": region,
                "published_on": published,
                "valid_from": published,
                "valid_to": valid_to,
                "full_text": "\n".join(parts),
                "themes": sorted({theme, extra_theme}) if rng.random() < 0.6 else [theme],
            }
        )
    return documents


def generate_item(serial: int, rng: random.Random, today: date) -> dict:
    """One published item version's fields (rules in the contract's format)."""
    topic, _ = rng.choice(TOPICS)
    tag = rng.choice(ITEM_TAGS)
    conditions = [
        {"field": "revenue", "op": "ge", "value": rng.choice([5_000_000, 10_000_000, 20_000_000])},
        {
            "any": [
                {"field": "tags", "op": "contains", "value": tag},
                {"field": "rd_ratio", "op": "ge", "value": 0.03},
            ]
        },
    ]
    if rng.random() < 0.5:
        conditions.append({"field": "employees", "op": "ge", "value": rng.choice([10, 20, 50])})
    reward = (
        {"fixed": rng.choice([100_000, 200_000, 500_000])}
        if rng.random() < 0.5
        else {"formula": "rd_expense * 0.1", "cap": rng.choice([300_000, 500_000])}
    )
    start = today - timedelta(days=rng.randint(-60, 900))
    opens = today - timedelta(days=rng.randint(-30, 120))
    return {
        "code": f"BENCH-{serial:04d}",
        "title": f"{topic}{rng.choice(['奖励', '补助', '后补助', '贴息', '专项资金'])}",
        "eligibility": {"all": conditions},
        "reward": reward,
        "auto_entitlement": rng.random() < 0.2,
        "application_opens_on": opens,
        "application_closes_on": opens + timedelta(days=rng.choice([30, 60, 90])),
        "effective_from": start,
        "effective_to": start + timedelta(days=365 * 3) if rng.random() < 0.7 else None,
    }


# ------------------------------------------------------------------------------------- setup
def configure(args: argparse.Namespace) -> str:
    work = Path(args.work_dir)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.environ["HUIQI_VAR_DIR"] = str(work)
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            connection.execute(f"CREATE DATABASE {BENCH_DB}")
        parts = urlsplit(args.postgres)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        engine = "PostgreSQL"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
        engine = "SQLite"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiqi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return engine


def load_library(documents: list[dict], items: list[dict], rng: random.Random) -> None:
    from django.db import transaction
    from django.utils import timezone

    from huiqi.policies.models import PolicyDocument, PolicyItem, PolicyItemVersion

    with transaction.atomic():
        created = PolicyDocument.objects.bulk_create([PolicyDocument(**fields) for fields in documents], 500)
        owners = rng.sample(created, k=min(len(items), len(created)))
        policy_items = PolicyItem.objects.bulk_create(
            [
                PolicyItem(code=item["code"], document=owner)
                for item, owner in zip(items, owners, strict=False)
            ]
        )
        now = timezone.now()
        PolicyItemVersion.objects.bulk_create(
            [
                PolicyItemVersion(
                    item=policy_item,
                    number=1,
                    document=policy_item.document,
                    status="published",
                    published_at=now,
                    **{key: value for key, value in item.items() if key != "code"},
                )
                for item, policy_item in zip(items, policy_items, strict=True)
            ],
            500,
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def random_filters(rng: random.Random, facets: dict[str, list[str]]) -> dict:
    filters: dict = {}
    if rng.random() < 0.3:
        filters["level"] = rng.choice(["national", "province", "city", "district"])
    if rng.random() < 0.25:
        filters["theme"] = rng.choice(facets["themes"])
    if rng.random() < 0.2:
        filters["region_code"] = rng.choice(["370100", "510600", "370102", "510603", "370000"])
    if rng.random() < 0.1:
        filters["department"] = rng.choice(facets["departments"])
    if rng.random() < 0.3:
        filters["effective_only"] = True
    if rng.random() < 0.2:
        filters["open_only"] = True
    if rng.random() < 0.2:
        filters["kind"] = rng.choice(["document", "item"])
    return filters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--postgres", default="")
    parser.add_argument("--work-dir", default="/tmp/huiqi-bench-search")
    args = parser.parse_args()

    engine = configure(args)
    from django.utils import timezone

    from huiqi.accounts.models import User
    from huiqi.policies import search, search_index
    from huiqi.policies.models import PolicyDocument

    rng = random.Random(args.seed)
    today = timezone.localdate()
    started = time.perf_counter()
    documents = generate_documents(args.documents, rng, today)
    items = [generate_item(serial, rng, today) for serial in range(args.items)]
    characters = sum(len(document["full_text"]) for document in documents)
    load_library(documents, items, rng)
    setup_s = time.perf_counter() - started
    user = User.objects.create(username="bench", role="specialist", full_name="基准测试")

    search_index.reset_search_index()
    started = time.perf_counter()
    cold = search_index.current_index()
    cold_s = time.perf_counter() - started
    search_index.reset_search_index()  # a restarted process: tokens come from the cache file
    started = time.perf_counter()
    warm = search_index.current_index()
    warm_s = time.perf_counter() - started

    facets = search.search_facets(user=user)
    facet_values = {
        "themes": [t for t, _ in facets.themes],
        "departments": [d for d, _ in facets.departments],
    }
    search.search_policies(user=user, query="专精特新")  # warm-up (regex and numpy caches)
    timings, totals = [], []
    for _ in range(args.queries):
        query = rng.choice(QUERIES) if rng.random() < 0.92 else ""
        filters = random_filters(rng, facet_values)
        begin = time.perf_counter()
        results = search.search_policies(user=user, query=query, **filters)
        timings.append((time.perf_counter() - begin) * 1000)
        totals.append(results.total)

    document = PolicyDocument.objects.order_by("?").first()
    document.full_text += "\n第二十一条 本办法自印发之日起施行。"
    document.save()
    begin = time.perf_counter()
    search.search_policies(user=user, query="研发费用")
    after_edit_ms = (time.perf_counter() - begin) * 1000

    load = os.getloadavg()[0]
    print(f"### Policy search: {args.documents:,} documents + {args.items} items, {engine}\n")
    print(f"Generated and loaded in {setup_s:.1f} s; full text {characters / 1e6:.1f} M characters;")
    print(
        f"index: {len(cold.entries):,} entries, {cold.vocab_size:,} distinct tokens. Load average {load:.1f}.\n"
    )
    print("| measure | value |\n|---|---|")
    print(f"| index build, cold (jieba segments every text) | {cold_s:.1f} s |")
    print(f"| index build, warm (tokens from the cache file, as after a restart) | {warm_s:.2f} s |")
    print(f"| first query after a document is edited (re-read + rebuild) | {after_edit_ms:.0f} ms |")
    print(f"| queries | {len(timings)} (with filters: about 75%) |")
    print(f"| hits per query, median / max | {statistics.median(totals):.0f} / {max(totals)} |")
    for label, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        print(f"| query latency {label} | {percentile(timings, share):.1f} ms |")
    print(f"| query latency max | {max(timings):.1f} ms |")
    assert warm.segmented == 0, "the warm build should not segment anything"


if __name__ == "__main__":
    main()
