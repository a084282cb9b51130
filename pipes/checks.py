"""System checks for the built-in host (ids pipes.E0xx)."""
from __future__ import annotations

from django.conf import settings
from django.core import checks

from .auth import MIN_KEY_BYTES, admin_token_problem


@checks.register(checks.Tags.security)
def check_admin_token(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """pipes.E001: the built-in host's admin token is missing or shorter than 32 bytes."""
    problem = admin_token_problem()
    if problem is None:
        return []
    variable = settings.PIPES_ADMIN_TOKEN_ENV
    return [
        checks.Error(
            f"The built-in pipe host cannot verify tokens: {problem}",
            hint=f"Put a random admin token of at least {MIN_KEY_BYTES} bytes in {variable} (or a file named by "
            f"{variable}_FILE), e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
            id="pipes.E001",
        )
    ]
