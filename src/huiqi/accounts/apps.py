from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "huiqi.accounts"
    verbose_name = "账户与组织"

    def ready(self) -> None:
        from huiqi.accounts import signals

        signals.connect()
