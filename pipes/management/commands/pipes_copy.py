"""`manage.py pipes_copy PIPE`: run a deployed copy pipe once (COPY_MODE append or replace)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pipes.deploy import CopyError, DeployBusy, run_copy


class Command(BaseCommand):
    help = (
        "Run the deployed copy pipe PIPE once into its TARGET_DATASOURCE: append adds its "
        "rows, replace swaps in a table of its rows atomically."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pipe", help="The copy pipe's name (its file name without .pipe).")

    def handle(self, *args: Any, pipe: str, **options: Any) -> None:
        try:
            run_copy(pipe, out=self.stdout.write)
        except (CopyError, DeployBusy) as error:
            raise CommandError(str(error)) from None
