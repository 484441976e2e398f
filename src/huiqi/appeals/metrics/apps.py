from django.apps import AppConfig


class AppealMetricsConfig(AppConfig):
    """The appeals' metrics (诉求统计分析): derived tables kept beside the appeals app, with their own
    migrations, so that the metrics can be rebuilt or changed without touching the appeals' tables."""

    name = "huiqi.appeals.metrics"
    label = "appeal_metrics"
    verbose_name = "诉求统计"
    default_auto_field = "django.db.models.BigAutoField"
