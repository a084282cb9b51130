"""Pipe and PipeParam rules, and migrations in step with the models."""
from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from pipes.models import Pipe, PipeParam

pytestmark = pytest.mark.django_db


def test_a_pipe_id_is_t_and_32_lowercase_hex_and_unique():
    one, two = Pipe.objects.create(name="a", sql="SELECT 1"), Pipe.objects.create(name="b", sql="SELECT 1")
    assert re.fullmatch(r"t_[0-9a-f]{32}", one.pipe_id)
    assert one.pipe_id != two.pipe_id


@pytest.mark.parametrize("name", ["1pipe", "my-pipe", "a b", "x;"])
def test_a_pipe_name_must_be_an_identifier(name):
    with pytest.raises(ValidationError):
        Pipe(name=name, sql="SELECT 1").full_clean()


def test_a_param_default_must_fit_its_type():
    pipe = Pipe.objects.create(name="p", sql="SELECT 1")
    PipeParam(pipe=pipe, name="d", type="Date", default="2024-01-31").full_clean()
    with pytest.raises(ValidationError, match="not a valid Date"):
        PipeParam(pipe=pipe, name="d", type="Date", default="yesterday").full_clean()


def test_param_names_are_unique_per_pipe():
    pipe = Pipe.objects.create(name="p", sql="SELECT 1")
    PipeParam.objects.create(pipe=pipe, name="x")
    with pytest.raises(ValidationError):
        PipeParam(pipe=pipe, name="x").full_clean()


def test_migrations_are_in_step_with_the_models():
    call_command("makemigrations", "pipes", "--check", "--dry-run", stdout=StringIO())


def test_a_pipe_name_cannot_look_like_a_pipe_id():
    with pytest.raises(ValidationError, match="look like a pipe id"):
        Pipe(name="t_" + "0" * 32, sql="SELECT 1").full_clean()
