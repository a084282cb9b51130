from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "charts"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
