"""The study file: presets load, the grid expands, and every mistake is reported with its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweepstat.errors import SpecError
from sweepstat.spec import load_spec, spec_hash

ROOT = Path(__file__).resolve().parents[2]

BASE = """
name: tiny
data: {name: gospels}
model:
  kind: rnn
  embedding_dim: 8
  layers: [{type: lstm, units: 4}]
  head: flatten
train: {optimizer: {name: adam}, epochs: 1}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_presets_load_and_expand() -> None:
    spec, configs, _ = load_spec(ROOT / "studies" / "paper-rnn.yaml")
    assert len(configs) == 30 and len(spec.seed_list) == 50
    assert {c.values["units"] for c in configs} == {16, 32, 64}
    assert {c.values["embedding_size"] for c in configs} == {200, 300, 400, 500, 600}
    first = configs[0]
    assert (first.model.layers[0].units, first.train.batch_size, first.model.embedding_dim) == (16, 32, 200)
    assert configs[1].model.embedding_dim == 300  # the last factor varies fastest
    assert spec.aggregate.statistic == "paper_trimmed" and spec.objective.resolved_direction == "minimize"
    spec, configs, _ = load_spec(ROOT / "studies" / "demo.yaml")
    assert len(configs) * len(spec.seed_list) == 36


def test_a_required_value_may_come_from_the_grid_only(tmp_path: Path) -> None:
    text = BASE.replace("{type: lstm, units: 4}", "{type: gru}")
    text += 'search: {grid: {"model.layers[0].units": [2, 3]}}\n'
    spec, configs, _ = load_spec(write(tmp_path, text))
    assert [c.model.layers[0].units for c in configs] == [2, 3]


def test_config_ids_and_hash_are_stable(tmp_path: Path) -> None:
    text = BASE + "search: {grid: {train.batch_size: [16, 32]}}\nseeds: 2\n"
    spec, configs, _ = load_spec(write(tmp_path, text))
    spec2, configs2, _ = load_spec(write(tmp_path, text + "workers: 1\ndescription: other words\n"))
    assert [c.config_id for c in configs] == [c.config_id for c in configs2]
    assert spec_hash(spec) == spec_hash(spec2)  # workers and description do not change the study
    spec3, _, _ = load_spec(write(tmp_path, text), ["train.epochs=2"])
    assert spec_hash(spec3) != spec_hash(spec)


@pytest.mark.parametrize(
    ("extra", "sets", "message"),
    [
        ("seeds: 0\n", [], r"seeds must be a count ≥ 1"),
        ("seeds: [1, 1]\n", [], r"seeds must list distinct seeds"),
        ("search: {grid: {model.embedding_dim: []}}\n", [], r"search.grid.*must not be empty"),
        ("search: {grid: {optimizer.lr: [0.1]}}\n", [], r"must start with data., model. or train."),
        ('search: {grid: {"model.layers[3].units": [1]}}\n', [], r"search.grid.model.layers\[3\].units has no item 3"),
        ('search: {grid: {"model.layers[0].units": [4, 0]}}\n', [], r"search.grid.model.layers\[0\].units must be ≥ 1; got 0"),
        ("", ["train.optimizer.lr=-1"], r"train.optimizer.lr must be > 0"),
        ("", ["train.epoch=3"], r"train.epoch is not a known field; got 3 \(did you mean 'epochs'\?\)"),
        ("workers: 0\n", [], r"workers must be ≥ 1 or 'auto'"),
        ("", ["name=has space"], r"name must be 1–64 letters"),
    ],
)
def test_mistakes_name_their_path(tmp_path: Path, extra: str, sets: list[str], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, BASE + extra), sets)


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, BASE + "seeds: 0\nworkers: 0\n"))
    assert {p.where for p in info.value.problems} == {"seeds", "workers"}


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"must be a study file \(YAML\); got 'no such file'"):
        load_spec(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match=r"study.yaml:3 must be valid YAML"):
        load_spec(write(tmp_path, "name: x\ndata: {name: gospels\nmodel: [\n"))
    with pytest.raises(SpecError, match=r"must be a YAML mapping of sections; got 'list'"):
        load_spec(write(tmp_path, "- a\n- b\n"))


def test_the_hash_of_existing_studies_is_unchanged_by_the_subset_field() -> None:
    """Hashes of the example studies before data.subset existed: a study that cuts nothing keeps its hash,
    so upgrading sweepstat never refuses to continue it."""
    assert spec_hash(load_spec(ROOT / "studies" / "demo.yaml")[0]) == "cf1b82ab26289ead"
    assert spec_hash(load_spec(ROOT / "studies" / "paper-rnn.yaml")[0]) == "17a852ad2523f831"


def test_a_subset_is_part_of_the_study_and_set_from_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    whole, _, _ = load_spec(path)
    explicit_all, _, _ = load_spec(path, ["data.subset.train=null"])
    assert spec_hash(explicit_all) == spec_hash(whole)
    cut, configs, raw = load_spec(path, ["data.subset.train=500"])
    assert cut.data.subset.train == 500 and configs[0].data.subset.train == 500
    assert raw["data"]["subset"] == {"train": 500}  # the study's stored copy has it
    assert spec_hash(cut) != spec_hash(whole)
    with pytest.raises(SpecError, match=r"data.subset.train must be ≥ 1"):
        load_spec(path, ["data.subset.train=0"])


def test_data_errors_in_a_study_file_carry_the_path_the_user_wrote(tmp_path: Path) -> None:
    text = BASE.replace("data: {name: gospels}", "data: {name: gospels, min_words: 0, subset: {test: 0}}")
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, text))
    assert [p.where for p in info.value.problems] == ["data.min_words", "data.subset.test"]


def test_device_is_how_a_study_runs_not_what_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    spec, _, _ = load_spec(path)
    assert spec.device == "cpu"
    on_gpu, _, _ = load_spec(path, ["device=cuda:1"])
    assert on_gpu.device == "cuda:1" and spec_hash(on_gpu) == spec_hash(spec)
    with pytest.raises(SpecError, match=r"^device must be cpu, cuda, cuda:N \(a GPU's index\) or auto; got 'gpu' \(e.g. cpu, cuda or cuda:0\)$"):
        load_spec(path, ["device=gpu"])


def test_replica_memory_is_how_a_study_runs_not_what_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    spec, _, _ = load_spec(path)
    assert spec.replica_memory_bytes() == 2**30  # replicas: auto, 1024 MiB
    small, _, _ = load_spec(path, ["replica_memory_mib=256"])
    assert small.replica_memory_bytes() == 2**28 and spec_hash(small) == spec_hash(spec)
    explicit, _, _ = load_spec(path, ["replicas=4", "replica_memory_mib=256"])
    assert explicit.replica_memory_bytes() is None  # an explicit count trains as one group
    for bad in ("-1", ".nan", "abc"):
        with pytest.raises(SpecError, match=r"^replica_memory_mib "):
            load_spec(path, [f"replica_memory_mib={bad}"])


def test_replicas_auto_trains_eight_seeds_of_a_text_model_together_and_one_lenet(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    spec, configs, _ = load_spec(path)
    assert spec.replicas == "auto" and spec.replicas_for(configs[0]) == 8
    lenet = BASE.replace(
        "model:\n  kind: rnn\n  embedding_dim: 8\n  layers: [{type: lstm, units: 4}]\n  head: flatten\n",
        "model: {kind: lenet}\n",
    ).replace("data: {name: gospels}", "data: {name: mnist}")
    spec, configs, _ = load_spec(write(tmp_path, lenet))
    assert spec.replicas_for(configs[0]) == 1
    three, configs, _ = load_spec(path, ["replicas=3"])
    assert three.replicas_for(configs[0]) == 3 and spec_hash(three) == spec_hash(load_spec(path)[0])
    with pytest.raises(SpecError, match=r"^replicas must be ≥ 1 or 'auto'; got 0 \(1 trains one seed at a time\)$"):
        load_spec(path, ["replicas=0"])


def test_auto_replica_groups_fit_the_activation_budget() -> None:
    import numpy as np

    from sweepstat.data import PreparedData, Split
    from sweepstat.engine import GROUP_MEMORY_BYTES, activation_bytes, replicas_within
    from sweepstat.spec import validate
    from sweepstat.spec._model import RnnModelSpec
    from sweepstat.spec._train import TrainSpec
    from sweepstat.study._runner import replica_groups

    def data(maxlen: int) -> PreparedData:
        split = Split(np.zeros((4, maxlen), np.int64), np.zeros(4, np.int64))
        return PreparedData("x", split, split, None, 10, maxlen, ("a", "b"))

    imdb_lstm = RnnModelSpec(embedding_dim=32, layers=({"type": "lstm", "units": 32},), head="last")
    train = validate(TrainSpec, {"batch_size": 128}, "train")
    # 128 × 500 positions × (32 + 12·32) floats × 4 bytes × 2 (backward) ≈ 213 MB per replica
    assert activation_bytes(imdb_lstm, train, data(500)) == 2 * 4 * 128 * 500 * (32 + 12 * 32)
    assert replicas_within(imdb_lstm, train, data(500)) == GROUP_MEMORY_BYTES // (2 * 4 * 128 * 500 * 416) == 5
    seed_000 = RnnModelSpec(embedding_dim=400, layers=({"type": "lstm", "units": 16},), head="flatten")
    assert replicas_within(seed_000, validate(TrainSpec, {"batch_size": 32}, "train"), data(46)) > 8
    assert replica_groups(list(range(8)), 5) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert replica_groups([3, 1, 2], 8) == [[3, 1, 2]]
    assert replica_groups(list(range(7)), 2) == [[0, 1], [2, 3], [4, 5], [6]]
    assert replica_groups([5], 1) == [[5]]
