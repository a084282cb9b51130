from django.apps import AppConfig


class PipesConfig(AppConfig):
    name = "pipes"
    verbose_name = "Built-in pipe host"
