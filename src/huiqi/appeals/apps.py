from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "huiqi.appeals"
    verbose_name = "企业诉求"

    def ready(self) -> None:
        # Provisional deadlines (a year whose State Council schedule is not entered yet) are
        # recomputed when the schedule is entered: core calls this function, it does not import us.
        from huiqi.appeals.time_limits import recompute_provisional_deadlines
        from huiqi.core.calendar_services import register_provisional_recomputer

        register_provisional_recomputer(recompute_provisional_deadlines)
