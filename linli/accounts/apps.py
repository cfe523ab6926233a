from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from linli.accounts import auth_audit  # noqa: F401  (connects Django's auth signals to the audit log)
