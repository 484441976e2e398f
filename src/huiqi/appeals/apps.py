from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "huiqi.appeals"
    verbose_name = "企业诉求"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from huiqi.appeals.models import TimeLimitRule
        from huiqi.appeals.time_limits import forget_rules, recompute_provisional_deadlines
        from huiqi.core.calendar_services import register_provisional_recomputer

        # Provisional deadlines (a year whose State Council schedule is not entered yet) are
        # recomputed when the schedule is entered: core calls this function, it does not import us.
        register_provisional_recomputer(recompute_provisional_deadlines)
        # The rules a process keeps for registrations (time_limits.active_rules) are forgotten when
        # one is saved or deleted here; other processes read them again within RULES_CACHE_SECONDS.
        post_save.connect(forget_rules, sender=TimeLimitRule, dispatch_uid="appeals.forget_time_limit_rules")
        post_delete.connect(
            forget_rules, sender=TimeLimitRule, dispatch_uid="appeals.forget_time_limit_rules"
        )
