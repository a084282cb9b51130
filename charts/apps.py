from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "charts"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from . import checks, revisions  # noqa: F401  (checks register themselves)

        revisions.connect()

        from . import signals

        signals.connect()
