"""`manage.py pipes_deploy FOLDER [--check]`: deploy a Tinybird project folder, atomically."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pipes import catalogue, static_tokens
from pipes.datafiles import NodeType, Project
from pipes.deploy import DeployBusy, DeployError, check, deploy
from pipes.engine import EngineError


class Command(BaseCommand):
    help = (
        "Deploy the Tinybird project in FOLDER (datafiles in any subfolder) onto the built-in "
        "host: every datafile is checked first, and any error changes nothing. --check only "
        "validates, naming each error's file and line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="The project folder (.datasource and .pipe files).")
        parser.add_argument(
            "--check", action="store_true", help="Validate only; change nothing."
        )

    def handle(self, *args: Any, folder: str, check: bool = False, **options: Any) -> None:
        if check:
            self._check(folder)
            return
        try:
            outcome = deploy(folder, out=self.stdout.write)
        except DeployError as error:
            self._fail(error.errors)
        except DeployBusy as error:
            raise CommandError(str(error)) from None
        except EngineError as error:
            raise CommandError(f"ClickHouse refused the deploy; nothing changed: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Deployed {folder}: {len(outcome.created)} tables created, "
                f"{len(outcome.replaced)} replaced, {len(outcome.kept)} kept; "
                f"{len(outcome.views)} materialized views created or replaced."
            )
        )
        self._token_warnings(catalogue.current())

    def _check(self, folder: str) -> None:
        project, errors = check(folder)
        if errors or project is None:
            self._fail(errors)
        assert project is not None
        kinds = [pipe.type or "plain" for pipe in project.pipes.values()]
        counts = ", ".join(
            f"{kinds.count(kind)} {kind}" for kind in (*NodeType.ALL, "plain") if kind in kinds
        )
        self.stdout.write(
            f"ok: {len(project.datasources)} datasources, {len(project.pipes)} pipes"
            + (f" ({counts})" if counts else "")
        )
        self._token_warnings(project)

    def _token_warnings(self, project: Project | None) -> None:
        for line in static_tokens.unusable(project) if project is not None else []:
            self.stderr.write(self.style.WARNING(line))

    def _fail(self, errors: list[Any]) -> None:
        for error in errors:
            self.stderr.write(str(error))
        raise CommandError(f"{len(errors)} error(s); nothing was changed.")
