from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "huiqi.policies"
    verbose_name = "惠企政策"

    def ready(self) -> None:
        # Stored match results follow the registry: enterprises calls this listener after profiles
        # change (enterprises.services, "Profile-changed listeners"); it does not import policies.
        from huiqi.enterprises.services import register_profile_changed_listener
        from huiqi.policies.match_runs import on_profiles_changed

        register_profile_changed_listener(on_profiles_changed)
