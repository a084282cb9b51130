"""`manage.py load_datasource NAME FILE`: load a CSV or NDJSON file into the built-in host."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pipes.loading import LoadError, load_file


class Command(BaseCommand):
    help = (
        "Replace datasource NAME with the rows of FILE (CSV with a header line, or NDJSON). "
        "A failed load changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Datasource (table) name, a SQL identifier.")
        parser.add_argument("file", help="The CSV or NDJSON file.")
        parser.add_argument(
            "--format", dest="fmt", choices=["csv", "ndjson"], help="Default: from the file extension."
        )
        parser.add_argument(
            "--schema",
            help='Column types, e.g. "date:Date,company_id:String,amount:Float" '
            "(String, Int, Float, Date, DateTime, Boolean). Default: inferred from the first 1000 rows.",
        )
        parser.add_argument(
            "--index",
            action="append",
            default=[],
            help='Columns of one index, e.g. "company_id,date" (repeat for more indexes).',
        )

    def handle(self, *args, name: str, file: str, fmt: str | None, schema: str | None, index: list[str], **options) -> None:
        try:
            result = load_file(name, file, fmt=fmt, schema=schema, indexes=index)
        except LoadError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {result.row_count:,} rows into {result.name} in {result.seconds:.1f}s.")
        )
        self.stdout.write(f"Schema: {result.schema}")
