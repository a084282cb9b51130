"""The built-in host's catalogue: datasources (tables in the analytics database) and pipes.

A pipe is one SQL query over datasources with declared, typed params. Its SQL refers to params
as ``{{ name }}`` placeholders, which become bound database parameters (see ``pipes.sql``);
nothing a caller sends is ever pasted into SQL.
"""
from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from . import sql as pipe_sql
from .types import ParamType, RESERVED_PARAMS, Value, coerce_param

IDENTIFIER_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
PIPE_ID_RE = r"^t_[0-9a-f]{32}$"

# No "__": loading names its temporary tables and indexes "<name>__...".
datasource_name_validator = RegexValidator(
    r"^(?!.*__)[A-Za-z_][A-Za-z0-9_]*$",
    "A datasource name is a SQL identifier: letters, digits and single underscores, not starting with a digit.",
)
pipe_name_validator = RegexValidator(IDENTIFIER_RE, "A pipe name: letters, digits and _, not starting with a digit.")
param_name_validator = RegexValidator(IDENTIFIER_RE, "A param name: letters, digits and _, not starting with a digit.")
pipe_id_validator = RegexValidator(PIPE_ID_RE, "A pipe id is t_ followed by 32 lowercase hex digits.")


def new_pipe_id() -> str:
    """A Tinybird-style pipe id: ``t_`` and 32 lowercase hex digits."""
    return f"t_{uuid.uuid4().hex}"


class Datasource(models.Model):
    """What is loaded in one analytics table. Written by ``pipes.loading`` only."""

    # Short enough that loading's temporary table and index names stay within PostgreSQL's 63.
    name = models.CharField(max_length=48, unique=True, validators=[datasource_name_validator])
    description = models.CharField(max_length=255, blank=True)
    columns = models.JSONField(default=list, help_text='[{"name": ..., "type": ...}, ...]')
    row_count = models.BigIntegerField(default=0)
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def schema(self) -> str:
        """The columns in ``load_datasource --schema`` syntax."""
        return ",".join(f"{c['name']}:{c['type']}" for c in self.columns)


class Pipe(models.Model):
    name = models.CharField(max_length=128, unique=True, validators=[pipe_name_validator])
    pipe_id = models.CharField(
        "pipe id", max_length=34, unique=True, default=new_pipe_id, validators=[pipe_id_validator]
    )
    description = models.TextField(blank=True)
    sql = models.TextField(
        "SQL",
        help_text="One SELECT over datasources. Write params as {{ name }}: they are bound, never pasted.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Param names the SQL uses, in order of first use (ValidationError on bad syntax)."""
        return pipe_sql.placeholders(self.sql)

    def clean(self) -> None:
        if re.match(PIPE_ID_RE, self.name or ""):
            # URLs accept a pipe's name or its id: a name shaped like an id would be ambiguous.
            raise ValidationError({"name": "A pipe name cannot look like a pipe id (t_ and 32 hex digits)."})
        # Syntax only: whether every placeholder is declared needs the params, which the admin's
        # inline formset checks together with running the SQL.
        try:
            pipe_sql.placeholders(self.sql or "")
        except ValidationError as exc:
            raise ValidationError({"sql": exc.messages}) from exc


class PipeParam(models.Model):
    Type = ParamType

    pipe = models.ForeignKey(Pipe, on_delete=models.CASCADE, related_name="params")
    name = models.CharField(max_length=63, validators=[param_name_validator])
    type = models.CharField(max_length=10, choices=ParamType.choices, default=ParamType.STRING)
    required = models.BooleanField(default=False)
    default = models.CharField(
        max_length=255, blank=True, default="", help_text="Used when the request gives no value. Blank: NULL."
    )
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pipe", "name"], name="unique_pipe_param")]
        ordering = ["pipe", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.name in RESERVED_PARAMS:
            errors["name"] = f"{self.name!r} is reserved by the API; choose another name."
        if self.default != "":
            try:
                coerce_param(self.name, self.default, self.type)
            except ValueError as exc:
                errors["default"] = str(exc)
        if errors:
            raise ValidationError(errors)

    def default_value(self) -> Value | None:
        """The typed default, or None (bound as NULL)."""
        if self.default == "":
            return None
        return coerce_param(self.name, self.default, self.type)
