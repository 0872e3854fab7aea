"""Export stages: optional stages added when their switch is on; an export on a finished run whose
items were consumed makes the producer make them again, then releases them (receipts)."""
import json
from types import SimpleNamespace

from omegaconf import OmegaConf

from gfjax.pipeline.runner import run_pipeline
from gfjax.pipeline.stage import Registry, Stage


def toy_registry(log):
    """producer (items in work/producer/*.txt) → export (needs_items, enabled by cfg.export) →
    consumer (reads the items, saves out.txt, releases them through ctx.consumed)."""
    reg = Registry()

    def produce(ctx):
        d = ctx.workdir / "work" / "producer"
        d.mkdir(parents=True, exist_ok=True)
        made = [i for i in range(3) if not ctx.available(d / f"{i}.txt", producer="producer")]
        for i in made:
            (d / f"{i}.txt").write_text(str(i))
        log.append(("produce", made))
        return {}

    def complete(ctx):
        d = ctx.workdir / "work" / "producer"
        return all(ctx.available(d / f"{i}.txt", producer="producer") for i in range(3))

    def export(ctx):
        d = ctx.workdir / "work" / "producer"
        if ctx.settings.export:
            (ctx.workdir / "exported.txt").write_text("".join((d / f"{i}.txt").read_text() for i in range(3)))
            for i in range(3):
                ctx.release_if_consumed(d / f"{i}.txt")
        log.append(("export", bool(ctx.settings.export)))
        return {}

    def consume(ctx):
        d = ctx.workdir / "work" / "producer"
        out = ctx.workdir / "out.txt"
        out.write_text("".join((d / f"{i}.txt").read_text() for i in range(3)))
        for i in range(3):
            ctx.consumed(d / f"{i}.txt", standing_for=out)
        log.append(("consume",))
        return {}

    reg.add(Stage("producer", produce, sections=("p",), is_complete=complete))
    reg.add(Stage("export", export, sections=("export",), requires=("producer",),
                  enabled=lambda s: bool(s.export), needs_items=True))
    reg.add(Stage("consumer", consume, sections=("c",), requires=("producer",)))
    return reg


def run(tmp_path, reg, export=False, monkeypatch=None):
    cfg = OmegaConf.create({"name": "toy", "stages": ["producer", "consumer"], "force": False,
                            "export": export, "p": {"v": 1}, "c": {"v": 1}})
    return run_pipeline(cfg, tmp_path, reg)


def test_consumed_items_leave_receipts_and_the_producer_stays_complete(tmp_path, monkeypatch):
    monkeypatch.setattr("gfjax.pipeline.runner.to_settings",
                        lambda cfg: SimpleNamespace(export=cfg.export, force=cfg.force,
                                                    output=SimpleNamespace(keep_intermediates=False)))
    log = []
    reg = toy_registry(log)
    run(tmp_path, reg)
    d = tmp_path / "work" / "producer"
    assert not list(d.glob("*.txt")) and len(list(d.glob("*.consumed"))) == 3
    receipt = json.loads((d / "0.txt.consumed").read_text())
    assert receipt["by"] == "consumer" and receipt["standing_for"] == "out.txt"
    assert ("export", False) not in log                         # switch off: not added
    log.clear()
    rep = run(tmp_path, reg)                                     # everything cached, nothing made again
    assert log == [] and {s["status"] for s in rep["stages"].values()} == {"cached"}

    log.clear()
    rep = run(tmp_path, reg, export=True)                        # the switch on, on a finished run
    assert log == [("produce", [0, 1, 2]), ("export", True)]     # items made again, exported
    assert (tmp_path / "exported.txt").read_text() == "012"
    assert rep["stages"]["consumer"]["status"] == "cached"       # the consumer is not re-run
    assert not list(d.glob("*.txt"))                             # and they are gone again
    log.clear()
    run(tmp_path, reg, export=True)
    assert log == []                                             # all cached now
