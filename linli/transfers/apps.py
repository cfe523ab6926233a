from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "linli.transfers"
    label = "transfers"
    verbose_name = "导入导出"
