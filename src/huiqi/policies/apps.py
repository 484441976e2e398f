from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "huiqi.policies"
    verbose_name = "惠企政策"
