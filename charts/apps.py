from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChartsConfig(AppConfig):
    name = "charts"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        from . import checks, revisions  # noqa: F401  (checks register themselves)

        revisions.connect()

        from . import signals

        signals.connect()
