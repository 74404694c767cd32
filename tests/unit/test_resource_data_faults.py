"""Pure logic of the resource and data faults: sizes, parameters, DDL, the in-container scripts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lab.errors import LabError
from lab.faults import all_faults, inside
from lab.faults.sizes import human, parse_size
from lab.faults.types import exhaustion, postgres, resources
from lab.faults.types import redis as redis_faults
from lab.platforms import capped_volume


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4096", 4096), ("64kb", 65536), ("512M", 512 * 1024**2), ("1.5GiB", 3 * 1024**3 // 2), ("10TB", 10 * 1024**4)],
)
def test_sizes_parse_with_binary_units(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "ten", "-5M", "5 MiBs", "1e9"])
def test_malformed_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_sizes_print_for_humans() -> None:
    assert human(1024**3) == "1 GiB" and human(786432) == "768 KiB" and human(12) == "12 B"


@pytest.mark.parametrize(
    ("indexdef", "expected"),
    [
        (
            "CREATE INDEX a ON public.t USING gin (search)",
            "CREATE INDEX IF NOT EXISTS a ON public.t USING gin (search)",
        ),
        (
            "CREATE UNIQUE INDEX b ON public.t USING btree (x)",
            "CREATE UNIQUE INDEX IF NOT EXISTS b ON public.t USING btree (x)",
        ),
        ("CREATE INDEX IF NOT EXISTS c ON public.t (x)", "CREATE INDEX IF NOT EXISTS c ON public.t (x)"),
    ],
)
def test_a_dropped_index_is_recreated_from_its_exact_definition(indexdef: str, expected: str) -> None:
    assert postgres.recreate_sql(indexdef) == expected


def test_an_unknown_index_definition_is_refused() -> None:
    with pytest.raises(LabError, match="unexpected index definition"):
        postgres.recreate_sql("DROP TABLE products")


@pytest.mark.parametrize(
    ("params_model", "raw"),
    [
        (resources.CpuHogParams, {"workers": 0}),
        (resources.CpuHogParams, {"load": 101}),
        (resources.CpuThrottleParams, {"cpus": -1}),
        (resources.MemoryPressureParams, {"percent": 99}),
        (resources.MemoryLeakParams, {"rate_mb_s": 0}),
        (exhaustion.DiskFillParams, {"percent": 100}),
        (exhaustion.DiskFillParams, {"size": "lots"}),
        (exhaustion.PidExhaustionParams, {"spare": -1}),
        (postgres.DropIndexParams, {"index": "x; DROP TABLE stock"}),
        (postgres.LockContentionParams, {"products": 0}),
        (redis_faults.MaxmemoryParams, {"maxmemory": "1kb"}),
        (redis_faults.FlushParams, {"every_s": 0.1}),
        (redis_faults.FlushParams, {"nope": 1}),
    ],
)
def test_absurd_or_unknown_parameters_are_refused(params_model: type, raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        params_model.model_validate(raw)


def test_every_resource_and_data_fault_says_what_it_needs() -> None:
    faults = all_faults()
    assert faults["disk-fill"].needs == ("volume: size cap",)
    assert faults["pid-exhaustion"].needs == ("cgroup: pids",)
    mine = {"cpu-hog", "cpu-throttle", "memory-pressure", "memory-leak-oom", "disk-fill", "pid-exhaustion"}
    assert mine | {
        "pg-connection-exhaustion",
        "pg-lock-contention",
        "pg-drop-index",
        "redis-flush",
        "redis-maxmemory",
    } <= set(faults)


def test_the_scripts_run_inside_containers_are_valid_python() -> None:
    compile(" ".join(inside._script("cpu-hog-abc123", passes=3)[2:]), "killer", "exec")
    compile(exhaustion._FORKER.format(spare=0, limit=128, seconds=60), "forker", "exec")
    compile(postgres._NOISY_POOL, "noisy", "exec")
    compile(resources._LEAKER.format(chunk=1024), "leaker", "exec")


def test_the_killer_looks_only_for_its_own_fault_marker() -> None:
    script = inside._script("disk-fill-0a1b2c", passes=1)[2]
    assert "b'LAB_FAULT_ID=disk-fill-0a1b2c'" in script


def test_the_capped_volume_probe_gives_a_reason() -> None:
    ok, why = capped_volume.support()
    assert isinstance(ok, bool) and why
