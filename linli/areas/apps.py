from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "linli.areas"
    label = "areas"
    verbose_name = "区域网格"
