"""Tinybird datafiles (``.datasource``, ``.pipe``) read into plain data; see ``model``.

Pure: no ClickHouse, no ORM, no Django. The deployer calls ``load_project`` (or
``check_project`` for ``--check``) and orders its work with ``pipe_order``.
"""
from __future__ import annotations

from pipes.datafiles.model import (
    Column,
    CopyMode,
    DatafileError,
    Datasource,
    Engine,
    Index,
    Node,
    NodeType,
    Origin,
    Pipe,
    Project,
    TokenDecl,
)
from pipes.datafiles.parse import parse_datasource, parse_pipe, read_datasource, read_pipe
from pipes.datafiles.project import (
    check_project,
    load_project,
    pipe_order,
    read_project,
    validate_project,
)

__all__ = [
    "Column",
    "CopyMode",
    "DatafileError",
    "Datasource",
    "Engine",
    "Index",
    "Node",
    "NodeType",
    "Origin",
    "Pipe",
    "Project",
    "TokenDecl",
    "check_project",
    "load_project",
    "parse_datasource",
    "parse_pipe",
    "pipe_order",
    "read_datasource",
    "read_pipe",
    "read_project",
    "validate_project",
]
