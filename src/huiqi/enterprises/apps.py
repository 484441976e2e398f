from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "huiqi.enterprises"
    verbose_name = "市场主体库"
