"""Image tags are content hashes: unchanged inputs rebuild nothing, a change rebuilds dependants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.images.specs import image_specs, service_names

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    for part in ("images", "services"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_every_service_with_a_recipe_gets_an_image(tree: Path) -> None:
    specs = image_specs(tree)
    assert list(specs)[:2] == ["base", "python"]
    for name in service_names(tree):
        assert name in specs
    assert "common" not in specs  # the shared library is not a service


def test_tags_are_stable_for_unchanged_inputs(tree: Path) -> None:
    assert image_specs(tree) == image_specs(tree)


def test_changing_shared_code_rebuilds_python_services_only(tree: Path) -> None:
    before = image_specs(tree)
    with (tree / "services" / "common" / "labsvc" / "__init__.py").open("a") as f:
        f.write("# changed\n")
    after = image_specs(tree)
    assert after["base"].tag == before["base"].tag
    assert after["python"].tag == before["python"].tag
    assert after["gateway"].tag != before["gateway"].tag
    assert after["postgres"].tag == before["postgres"].tag  # postgres has no Python code


def test_changing_the_base_rebuilds_everything(tree: Path) -> None:
    before = image_specs(tree)
    with (tree / "images" / "base" / "packages.txt").open("a") as f:
        f.write("jq\n")
    after = image_specs(tree)
    assert all(after[name].tag != before[name].tag for name in before)


def test_bytecode_caches_do_not_change_tags(tree: Path) -> None:
    before = image_specs(tree)
    cache = tree / "services" / "gateway" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "app.cpython-311.pyc").write_bytes(b"\0junk")
    assert image_specs(tree)["gateway"].tag == before["gateway"].tag


def test_a_top_level_folder_with_its_own_requirements_is_a_venv_image(tree: Path) -> None:
    shutil.copytree(REPO / "load", tree / "load", ignore=shutil.ignore_patterns("__pycache__"))
    specs = image_specs(tree)
    assert specs["load"].parent == "base"
    before = specs["load"].tag
    with (tree / "load" / "requirements.txt").open("a") as f:
        f.write("# changed\n")
    assert image_specs(tree)["load"].tag != before
    assert image_specs(tree)["gateway"].tag == specs["gateway"].tag
