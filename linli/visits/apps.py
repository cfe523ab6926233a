from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "linli.visits"
    verbose_name = "走访"
