from django.apps import AppConfig


class PipesConfig(AppConfig):
    name = "pipes"
    verbose_name = "Built-in pipe host"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
