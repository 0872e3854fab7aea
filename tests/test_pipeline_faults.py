"""Faults (issue 7 §3): out of memory in a batch (offsets window batches, MSBAS pixel blocks) is
halved and retried with a warning, or stops with a message naming the key to lower; lowering
those keys keeps finished work (fingerprints); an MPI rank's MSBAS part left by a killed run is
reused. The out-of-memory errors are faked (the batched call raises XLA's RESOURCE_EXHAUSTED)."""
import logging
from types import SimpleNamespace

import jax
import numpy as np
import pytest

from gfjax.memory import is_out_of_memory


def oom():
    return jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 8589934592 "
                                      "bytes.\nBufferAssignment OOM Debugging ...")


def test_is_out_of_memory():
    assert is_out_of_memory(oom()) and is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("INVALID_ARGUMENT: shapes")) and not is_out_of_memory(ValueError("x"))


# --- offsets: the pipeline stage's wrapper around track_offsets -------------------------------
def fake_tracker(fail: int):
    calls = []

    def track(ref, sec, *, options, **priors):
        calls.append((options.memory_budget_mb, options.batch_size, sorted(priors)))
        if len(calls) <= fail:
            raise oom()
        return "offsets"
    return track, calls


def test_offsets_out_of_memory_halves_the_batch_and_retries(caplog):
    from gfjax.offsets import TrackingOptions
    from gfjax.pipeline.stages.offsets import track_pair

    track, calls = fake_tracker(fail=2)
    opts = TrackingOptions(memory_budget_mb=1000.0)
    with caplog.at_level(logging.WARNING, logger="gfjax"):
        ds, used = track_pair(track, None, None, opts, "T065/3", prior_azimuth=1, prior_range=2)
    assert ds == "offsets" and used.memory_budget_mb == 250.0 and opts.memory_budget_mb == 1000.0
    assert calls == [(1000.0, None, ["prior_azimuth", "prior_range"]), (500.0, None, ["prior_azimuth", "prior_range"]),
                     (250.0, None, ["prior_azimuth", "prior_range"])]
    text = caplog.text
    assert "pair T065/3" in text and "execution.offsets_memory_budget_mb=1000" in text and "execution.offsets_memory_budget_mb=500" in text
    assert "RESOURCE_EXHAUSTED" in text and "BufferAssignment" not in text  # first line of XLA's message only

    track, calls = fake_tracker(fail=1)
    _, used = track_pair(track, None, None, TrackingOptions(batch_size=64), "T131/0")
    assert [c[1] for c in calls] == [64, 32] and used.batch_size == 32


def test_offsets_out_of_memory_that_halving_cannot_fix_names_the_keys():
    from gfjax.offsets import TrackingOptions
    from gfjax.pipeline.stage import StageError
    from gfjax.pipeline.stages.offsets import MAX_MEMORY_HALVINGS, track_pair

    track, calls = fake_tracker(fail=100)
    with pytest.raises(StageError) as err:
        track_pair(track, None, None, TrackingOptions(), "T065/0")
    msg = str(err.value)
    assert len(calls) == MAX_MEMORY_HALVINGS + 1
    assert "out of memory tracking pair T065/0" in msg and "execution.offsets_memory_budget_mb" in msg
    assert "execution.offsets_batch_size" in msg and "re-run resumes" in msg
    track, calls = fake_tracker(fail=100)
    with pytest.raises(StageError, match=r"execution.offsets_batch_size=1 .*after halving the window batch 2 time"):
        track_pair(track, None, None, TrackingOptions(batch_size=4), "T065/0")

    def broken(ref, sec, *, options):
        raise RuntimeError("INVALID_ARGUMENT: not a memory problem")
    with pytest.raises(RuntimeError, match="INVALID_ARGUMENT"):  # other errors are not retried
        track_pair(broken, None, None, TrackingOptions(), "T065/0")


# --- MSBAS: map_pixels halves its pixel block ---------------------------------------------------
def small_maps(ny=4, nx=5):
    from gfjax.msbas.network import build_network
    from gfjax.msbas.synthetic import maps_from_velocity, two_track_network, velocity_truth

    net = two_track_network(8)
    nw = build_network(net.t_master, net.t_slave, net.set_index, 4)
    maps, _ = maps_from_velocity(net, velocity_truth(nw.epochs, ny, nx, 3, seed=1), 3, noise_m=0.02, seed=2)
    return maps, net


def test_msbas_out_of_memory_halves_the_block(monkeypatch, caplog):
    from gfjax.msbas import api

    maps, net = small_maps()
    args = (maps, net.set_index, net.t_master, net.t_slave, net.set_vectors)
    want = api.invert_maps(*args, dim=3, block=16)
    real, sizes = api._run_block, []

    def flaky(fn, block_args, extra, n):
        sizes.append(block_args[0].shape[0])
        if block_args[0].shape[0] > 4:       # blocks above 4 pixels do not fit
            raise oom()
        return real(fn, block_args, extra, n)

    monkeypatch.setattr(api, "_run_block", flaky)
    with caplog.at_level(logging.WARNING):
        got = api.invert_maps(*args, dim=3, block=16)
    assert sizes[:3] == [16, 8, 4] and set(sizes[2:]) == {4} and len(sizes) == 2 + 5  # 20 pixels in 5 blocks
    assert "out of memory on a block of 16 pixels" in caplog.text and "execution.msbas_memory_budget_mb" in caplog.text
    for v in want.data_vars:
        np.testing.assert_array_equal(got[v].values, want[v].values, err_msg=v)


def test_msbas_out_of_memory_at_one_pixel_is_a_clear_error(monkeypatch):
    from gfjax.msbas import api

    def never(fn, block_args, extra, n):
        raise MemoryError()

    monkeypatch.setattr(api, "_run_block", never)
    maps, net = small_maps(2, 2)
    with pytest.raises(api.MsbasMemoryError, match=r"block of 1 pixel\(s\).*no smaller block.*more memory"):
        api.invert_maps(maps, net.set_index, net.t_master, net.t_slave, net.set_vectors, dim=3, block=2)


# --- lowering the memory keys keeps finished work ---------------------------------------------
def test_memory_keys_do_not_change_fingerprints():
    """Execution settings live in ``execution``, which no stage's fingerprint reads; the
    algorithm sections no longer accept them."""
    from omegaconf import OmegaConf

    from gfjax.config.schema import GfjaxConfig, to_settings
    from gfjax.pipeline.stage import Registry, Stage, fingerprint

    reg = Registry()
    reg.add(Stage("offsets", lambda c: {}, sections=("offsets",)))
    reg.add(Stage("msbas", lambda c: {}, sections=("msbas",), requires=("offsets",)))

    def config(**execution):
        cfg = OmegaConf.merge(OmegaConf.structured(GfjaxConfig), {"execution": execution})
        settings = to_settings(cfg)
        return OmegaConf.to_container(cfg, resolve=True), settings

    base, _ = config()
    low, settings = config(offsets_memory_budget_mb=256.0, offsets_batch_size=32, msbas_memory_budget_mb=100.0)
    assert settings.offsets.memory_budget_mb == 256.0 and settings.offsets.batch_size == 32
    assert settings.msbas.memory_budget_mb == 100.0                  # the rings get them
    other = {**base, "offsets": {**base["offsets"], "window": [32, 32]}}
    for name in ("offsets", "msbas"):
        assert fingerprint(reg.stages[name], low, reg) == fingerprint(reg.stages[name], base, reg)
        assert fingerprint(reg.stages[name], other, reg) != fingerprint(reg.stages[name], base, reg)
    with pytest.raises(Exception, match="memory_budget_mb"):
        OmegaConf.merge(OmegaConf.structured(GfjaxConfig), {"offsets": {"memory_budget_mb": 1.0}})


# --- a killed MPI rank: MSBAS parts already written are reused --------------------------------
class FakeRank:
    """One of two MPI ranks, without MPI (barriers do nothing; the test plays both ranks)."""

    def __init__(self, rank):
        self.rank, self.size, self.is_root = rank, 2, rank == 0

    def barrier(self):
        pass


def test_msbas_parts_of_a_killed_run_are_reused(tmp_path, monkeypatch):
    import xarray as xr

    from gfjax.msbas import MsbasOptions, api
    from gfjax.pipeline.stages import msbas as stage

    maps, net = small_maps(5, 3)
    stack = xr.Dataset({"displacement": (("map", "y", "x"), maps.astype(np.float32))},
                       coords={"set_index": ("map", net.set_index), "t_master": ("map", net.t_master),
                               "t_slave": ("map", net.t_slave), "set_vector": (("set", "neu"), net.set_vectors)})
    opts = MsbasOptions(dim=3, lam=0.05)

    def ctx(rank):
        return SimpleNamespace(settings=SimpleNamespace(msbas=opts), workers=FakeRank(rank),
                               stage_dir=lambda name: tmp_path)

    one = SimpleNamespace(settings=SimpleNamespace(msbas=opts), workers=SimpleNamespace(rank=0, size=1, is_root=True))
    want = stage.invert_rows(one, stack, None, 0.05)
    assert stage.invert_rows(ctx(1), stack, None, 0.05) is None          # rank 1 writes its part
    merged = stage.invert_rows(ctx(0), stack, None, 0.05)                # rank 0 its own, then merges
    for v in want.data_vars:
        np.testing.assert_array_equal(merged[v].values, want[v].values, err_msg=v)

    (tmp_path / "part_0000_of_0002.nc").unlink()                         # rank 0 was killed before writing
    calls = []
    real = api.invert_maps
    monkeypatch.setattr(api, "invert_maps", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert stage.invert_rows(ctx(1), stack, None, 0.05) is None and calls == []   # reused
    again = stage.invert_rows(ctx(0), stack, None, 0.05)
    assert calls == [1]                                                  # only the missing part
    for v in want.data_vars:
        np.testing.assert_array_equal(again[v].values, want[v].values, err_msg=v)
    stage.invert_rows(ctx(1), stack, None, 0.07)                         # another λ: not reused
    assert calls == [1, 1]
