"""How pairs are split over SLURM array chunks and MPI ranks (gfjax.pipeline.parallel): every pair
is handled exactly once, units are runs of consecutive pairs of one track, bad chunks are errors."""
import itertools

import pytest

from gfjax.pipeline.parallel import chunk_of, select_pairs, slurm_array_task, split_units


def make_pairs(*lengths):
    names = ["T065", "T131", "T999"]
    return [(names[i], k) for i, n in enumerate(lengths) for k in range(n)]


CASES = [make_pairs(5, 6), make_pairs(134, 163), make_pairs(1, 0), make_pairs(7), make_pairs(2, 3, 4), []]
COUNTS = [1, 2, 3, 4, 5, 7, 16, 40]


def ids(case):
    return "x".join(str(sum(1 for p in case if p[0] == t)) for t in dict.fromkeys(p[0] for p in case)) or "empty"


def assert_partition(parts, pairs):
    flat = [p for part in parts for p in part]
    assert sorted(flat) == sorted(pairs), "some pairs are missing or handled twice"
    assert len(flat) == len(set(flat))


@pytest.mark.parametrize("pairs", CASES, ids=ids)
@pytest.mark.parametrize("n", COUNTS)
def test_units_are_contiguous_runs_of_one_track(pairs, n):
    units = split_units(pairs, n)
    assert_partition(units, pairs)
    assert all(units), "no empty units"
    for u in units:
        assert len({t for t, _ in u}) == 1, f"unit mixes tracks: {u}"
        ks = [k for _, k in u]
        assert ks == list(range(ks[0], ks[0] + len(ks))), f"unit is not consecutive: {u}"
    # order: concatenating the units gives back the pair list
    assert [p for u in units for p in u] == pairs


@pytest.mark.parametrize("pairs", CASES, ids=ids)
@pytest.mark.parametrize("n_chunks", COUNTS)
def test_every_pair_in_exactly_one_chunk(pairs, n_chunks):
    chunks = [select_pairs(pairs, chunk=c, n_chunks=n_chunks) for c in range(n_chunks)]
    assert_partition(chunks, pairs)
    owner = chunk_of(pairs, n_chunks)
    assert set(owner) == set(pairs)
    for c, chunk in enumerate(chunks):
        assert all(owner[p] == c for p in chunk), "chunk_of disagrees with select_pairs"


@pytest.mark.parametrize("pairs", CASES, ids=ids)
@pytest.mark.parametrize("size", [1, 2, 3, 4, 8])
def test_every_pair_on_exactly_one_rank(pairs, size):
    assert_partition([select_pairs(pairs, rank=r, size=size) for r in range(size)], pairs)


@pytest.mark.parametrize("n_chunks,size", list(itertools.product([1, 3, 16], [1, 2, 4])))
def test_chunks_then_ranks_cover_everything_once(n_chunks, size):
    pairs = make_pairs(134, 163)
    parts = [select_pairs(pairs, rank=r, size=size, chunk=c, n_chunks=n_chunks)
             for c in range(n_chunks) for r in range(size)]
    assert_partition(parts, pairs)


def test_no_chunk_means_all_pairs():
    pairs = make_pairs(5, 6)
    assert select_pairs(pairs) == pairs
    assert select_pairs(pairs, chunk=None, n_chunks=4) == pairs


def test_full_muldrow_chunks_are_balanced():
    """16 array tasks over 134 + 163 pairs: no chunk more than ~1.5x the mean."""
    pairs = make_pairs(134, 163)
    sizes = [len(select_pairs(pairs, chunk=c, n_chunks=16)) for c in range(16)]
    assert sum(sizes) == 297 and min(sizes) > 0
    assert max(sizes) <= 1.5 * 297 / 16


def test_single_track_ranks_get_one_run_each():
    pairs = make_pairs(10)
    r0, r1 = (select_pairs(pairs, rank=r, size=2) for r in range(2))
    assert r0 == pairs[:5] and r1 == pairs[5:]


@pytest.mark.parametrize("chunk,n_chunks", [(-1, 3), (3, 3), (5, 3), (0, 0)])
def test_invalid_chunk_is_a_value_error(chunk, n_chunks):
    with pytest.raises(ValueError, match="chunk"):
        select_pairs(make_pairs(5, 6), chunk=chunk, n_chunks=n_chunks)


@pytest.mark.parametrize("n", [0, -2])
def test_invalid_unit_count_is_a_value_error(n):
    with pytest.raises(ValueError, match="n_units"):
        split_units(make_pairs(5, 6), n)


def test_slurm_array_task_from_environment(monkeypatch):
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    assert slurm_array_task() is None
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "")
    assert slurm_array_task() is None
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "7")
    assert slurm_array_task() == 7


def test_parallel_single_uses_one_device_where_auto_uses_all(tmp_path):
    """parallel=single is one device (not the same as auto): with 3 CPU devices, a run's
    provenance lists 1 under parallel=single and 3 under parallel=auto."""
    import json
    import os

    from cli import gfjax

    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=3")
    seen = {}
    for mode in ("single", "auto"):
        gfjax(tmp_path, "+experiment=muldrow", f"name={mode}", f"parallel={mode}", "stages=[scene]",
              "scene.start=2019-06-01", "scene.end=2019-09-01", "products.animation=false", env=env)
        rep = json.loads((tmp_path / mode / "report.json").read_text())
        seen[mode] = len(rep["provenance"]["jax_devices"])
    assert seen == {"single": 1, "auto": 3}
