"""MatchResult's primary key becomes the (enterprise, item) pair instead of a surrogate id.

Nothing references a result by its id, and a whole-run bulk load (policies.result_copy) paid for
copying the id column and for building its index on top of the unique (enterprise, item) pair's.
Django cannot alter a primary key into a composite one, so the table is dropped and created again:
its rows are lost. They are derived data that every match run rewrites: the next
`huiqi record_matches` (or a match run from the match-run page) fills the table again.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0003_uscc_unique_constraint"),
        ("policies", "0004_lean_match_results"),
    ]

    operations = [
        migrations.DeleteModel(name="MatchResult"),
        migrations.CreateModel(
            name="MatchResult",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "enterprise",
                        "item",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "enterprise",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="enterprises.enterprise",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="match_results",
                        to="policies.policyitem",
                    ),
                ),
                (
                    "item_version",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="match_results",
                        to="policies.policyitemversion",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("eligible", "符合"),
                            ("ineligible", "不符合"),
                            ("needs_info", "需补充信息"),
                        ],
                        max_length=10,
                        verbose_name="结果",
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=16, null=True, verbose_name="金额(元)"
                    ),
                ),
                ("as_of", models.DateField(verbose_name="评估日期")),
                ("evaluated_at", models.DateTimeField(verbose_name="评估时间")),
            ],
            options={
                "verbose_name": "匹配结果",
                "verbose_name_plural": "匹配结果",
                "indexes": [models.Index(fields=["item", "status"], name="policies_ma_item_id_860339_idx")],
            },
        ),
    ]
