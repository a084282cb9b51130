"""pipes.catalogue: the deployed project is whatever release the ``current`` link points at."""
from __future__ import annotations

import pytest
from django.test import override_settings

from pipes import catalogue

DATASOURCE = 'SCHEMA >\n    `id` UInt32,\n    `company_id` String\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "company_id, id"\n'


def release(base, name: str, datasources: list[str]):
    folder = base / catalogue.RELEASES / name
    (folder / "datasources").mkdir(parents=True)
    for ds in datasources:
        (folder / "datasources" / f"{ds}.datasource").write_text(DATASOURCE)
    return folder


def test_nothing_is_deployed_before_the_first_publish(tmp_path) -> None:
    with override_settings(PIPES_PROJECT_DIR=tmp_path):
        assert catalogue.current_release() is None
        assert catalogue.current() is None


def test_publish_switches_every_reader_to_the_new_release(tmp_path) -> None:
    with override_settings(PIPES_PROJECT_DIR=tmp_path):
        first = release(tmp_path, "1", ["orders"])
        catalogue.publish(first)
        assert set(catalogue.current().datasources) == {"orders"}
        second = release(tmp_path, "2", ["orders", "events"])
        catalogue.publish(second)
        assert catalogue.current_release() == second.resolve()
        assert set(catalogue.current().datasources) == {"orders", "events"}
        assert (tmp_path / catalogue.CURRENT).is_symlink()


@pytest.mark.parametrize("again", [1, 2])
def test_the_project_is_read_once_per_release(tmp_path, monkeypatch, again) -> None:
    reads = []
    real = catalogue.load_project
    monkeypatch.setattr(catalogue, "load_project", lambda folder: reads.append(folder) or real(folder))
    with override_settings(PIPES_PROJECT_DIR=tmp_path):
        catalogue.publish(release(tmp_path, f"r{again}", ["orders"]))
        for _ in range(3):
            catalogue.current()
    assert len(reads) == 1
