from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huiqi.core"
    verbose_name = "平台基础"
