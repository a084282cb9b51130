"""Keep Django's own tables out of the analytics database: it holds only datasource tables."""
from __future__ import annotations

ANALYTICS = "analytics"


class AnalyticsRouter:
    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        if db == ANALYTICS:
            return False
        return None
