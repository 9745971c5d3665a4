"""The study spec: one YAML file that says what to train, which hyperparameters to sweep, and how often.

``load_spec(path, sets)`` is the one way a study file enters sweepstat: YAML → ``--set`` overrides →
validation of the whole file and of every configuration of the grid, all problems reported together.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sweepstat.errors import Problem, SpecError
from sweepstat.spec._data import DataSpec
from sweepstat.spec._model import ModelSpec
from sweepstat.spec._overrides import apply_overrides
from sweepstat.spec._train import TrainSpec
from sweepstat.spec._validate import problems_from, validate

# Where a swept value may live: the three sections a run is built from.
SWEEPABLE = ("data", "model", "train")
METRICS = ("test_loss", "test_accuracy", "eval_loss", "eval_accuracy")
# Study names become folder names and database keys.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Where the workers train: PyTorch's device names sweepstat accepts.
_DEVICE = re.compile(r"cpu|cuda|cuda:\d+|auto")
_DEVICE_RULE, _DEVICE_FIX = "must be cpu, cuda, cuda:N (a GPU's index) or auto", "e.g. cpu, cuda or cuda:0"


def check_device(value: str, where: str = "device") -> str:
    """``value`` if it names a device sweepstat can train on (cpu, cuda, cuda:N, auto), else SpecError.

    Only the spelling is checked here; whether the machine has that GPU is the runner's question.
    """
    if not _DEVICE.fullmatch(value):
        raise SpecError([Problem(where, _DEVICE_RULE, value, _DEVICE_FIX)])
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SearchSpec(_Frozen):
    """The hyperparameters to sweep: ``grid`` maps a dotted path in the spec to the values it takes."""

    grid: dict[str, tuple[Any, ...]] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict, description="short factor names for reports")

    @field_validator("grid")
    @classmethod
    def _grid(cls, v: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        for path, values in v.items():
            if path.split(".")[0] not in SWEEPABLE:
                raise ValueError(
                    f"grid key {path!r} must start with data., model. or train."
                    " | fix: e.g. model.layers[0].units"
                )
            if len(values) == 0:
                raise ValueError(f"grid values of {path!r} must not be empty | fix: list one value or more")
            if len(set(map(_canonical, values))) != len(values):
                raise ValueError(f"grid values of {path!r} must differ; got {list(values)}")
        return v

    @model_validator(mode="after")
    def _labels(self) -> SearchSpec:
        unknown = sorted(set(self.labels) - set(self.grid))
        if unknown:
            raise ValueError(f"labels name paths that are not in the grid: {unknown}")
        names = list(self.factor_names().values())
        if len(set(names)) != len(names):
            raise ValueError(
                f"factor names must differ; got {names} | fix: give short names in search.labels"
            )
        return self

    def factor_names(self) -> dict[str, str]:
        """Grid path → factor name: the label, else the last path part ("model.layers[0].units" → "units")."""
        return {p: self.labels.get(p) or re.split(r"[.\[\]]+", p.strip("]"))[-1] for p in self.grid}


class ObjectiveSpec(_Frozen):
    """The metric that ranks configurations. Its direction follows from it unless given."""

    metric: Literal["test_loss", "test_accuracy", "eval_loss", "eval_accuracy"] = "test_loss"
    direction: Literal["minimize", "maximize"] | None = None

    @property
    def resolved_direction(self) -> Literal["minimize", "maximize"]:
        if self.direction is not None:
            return self.direction
        return "minimize" if self.metric.endswith("loss") else "maximize"


class AggregateSpec(_Frozen):
    """How the seeds of a configuration are summarised and compared (docs/statistics.md explains each)."""

    statistic: Literal["mean", "median", "iqm", "paper_trimmed", "trimmed"] = "mean"
    trim: float = Field(default=0.1, description="share of runs dropped by the trimmed statistics")
    diverged: Literal["exclude", "worst", "penalty"] = Field(
        default="exclude",
        description="diverged runs: left out, counted as the study's worst finite value, or as `penalty`",
    )
    penalty: dict[str, float] = Field(
        default_factory=dict, description="with diverged: penalty, the value per metric, e.g. {test_loss: 10}"
    )
    confidence: float = Field(default=0.95, description="level of every confidence interval")
    n_resamples: int = Field(default=2000, description="bootstrap resamples of every interval")
    seed: int = Field(default=0, description="seed of the bootstrap (same seed, same intervals)")
    alpha: float = Field(default=0.05, description="significance level of every test, after Holm correction")
    power: float = Field(default=0.8, description="power for the seeds-needed estimate")

    @field_validator("trim")
    @classmethod
    def _trim(cls, v: float) -> float:
        if not 0 <= v < 0.5:
            raise ValueError("must be ≥ 0 and < 0.5 | fix: the paper dropped 0.1")
        return v

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, v: float) -> float:
        if not 0.5 <= v < 1:
            raise ValueError("must be ≥ 0.5 and < 1 | fix: e.g. 0.95")
        return v

    @field_validator("alpha", "power")
    @classmethod
    def _probability(cls, v: float) -> float:
        if not 0 < v < 1:
            raise ValueError("must be > 0 and < 1 | fix: e.g. alpha 0.05, power 0.8")
        return v

    @field_validator("n_resamples")
    @classmethod
    def _resamples(cls, v: int) -> int:
        if v < 100:
            raise ValueError("must be ≥ 100 | fix: e.g. 2000")
        return v

    @field_validator("penalty")
    @classmethod
    def _penalty(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(METRICS))
        if unknown:
            raise ValueError(f"names metrics that do not exist: {unknown} | fix: use {', '.join(METRICS)}")
        return v

    @model_validator(mode="after")
    def _penalty_given(self) -> AggregateSpec:
        missing = [m for m in ("test_loss", "test_accuracy") if m not in self.penalty]
        if self.diverged == "penalty" and missing:
            raise ValueError(
                f"diverged: penalty needs a penalty value for {', '.join(missing)} (the metrics the report shows)"
                " | fix: e.g. penalty: {test_loss: 10, test_accuracy: 0.5}"
            )
        return self


class StorageSpec(_Frozen):
    """Where the study lives: a folder with one SQLite file (default), or a database URL."""

    folder: Path | None = Field(default=None, description="default: runs/<name> under the working folder")
    url: str | None = Field(default=None, description="an SQLAlchemy URL; default: the folder's study.db")


AUTO_TEXT_REPLICAS = 8
REPLICA_MEMORY_MIB = 1024  # replica_memory_mib's default; engine.GROUP_MEMORY_BYTES is the same budget


class StudySpec(_Frozen):
    """A whole study: every configuration of ``search.grid`` trained once per seed."""

    name: str
    description: str = ""
    data: DataSpec
    model: ModelSpec
    train: TrainSpec = TrainSpec()
    search: SearchSpec = SearchSpec()
    seeds: int | tuple[int, ...] = 5
    objective: ObjectiveSpec = ObjectiveSpec()
    aggregate: AggregateSpec = AggregateSpec()
    storage: StorageSpec = StorageSpec()
    workers: int | Literal["auto"] = "auto"
    replicas: int | Literal["auto"] = Field(
        default="auto",
        description=(
            "seeds of one configuration trained together in one worker; auto: 8 for text models (in even "
            "groups when their activations would pass replica_memory_mib), 1 else"
        ),
    )
    replica_memory_mib: float = Field(
        default=REPLICA_MEMORY_MIB,
        description=(
            "with replicas: auto, the activation memory (MiB) a worker may spend on the seeds it trains at "
            "once; it trains a configuration's seeds in even groups that fit"
        ),
    )
    device: str = Field(
        default="cpu", description="cpu, cuda, cuda:N or auto (a GPU when PyTorch sees one, else cpu)"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.fullmatch(v):
            raise ValueError(
                "must be 1–64 letters, digits, '_', '-' or '.', starting with a letter or digit"
                " | fix: e.g. paper-rnn"
            )
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: int | tuple[int, ...]) -> int | tuple[int, ...]:
        if isinstance(v, int):
            if v < 1:
                raise ValueError("must be a count ≥ 1 or a list of seeds | fix: e.g. 5, or [0, 1, 2]")
        elif not v or min(v) < 0 or len(set(v)) != len(v):
            raise ValueError("must list distinct seeds ≥ 0, at least one | fix: e.g. [0, 1, 2]")
        return v

    @field_validator("workers")
    @classmethod
    def _workers(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 1:
            raise ValueError("must be ≥ 1 or 'auto' (one per CPU core, or per GPU with CUDA) | fix: e.g. 2")
        return v

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 1:
            raise ValueError("must be ≥ 1 or 'auto' | fix: 1 trains one seed at a time")
        return v

    @field_validator("replica_memory_mib")
    @classmethod
    def _replica_memory(cls, v: float) -> float:
        if not v > 0 or v == float("inf"):
            raise ValueError(
                "must be a number of MiB > 0 | fix: e.g. 1024 (the default), or 512 with little memory per core"
            )
        return v

    def replica_memory_bytes(self) -> int | None:
        """The activation budget of a worker's replica group under ``replicas: auto``, else None (an explicit
        count is trained as one group)."""
        return int(self.replica_memory_mib * 2**20) if self.replicas == "auto" else None

    def replicas_for(self, config: Configuration) -> int:
        """Seeds of ``config`` a worker is given at once: ``replicas``, or for ``auto`` 8 for the text
        models (their small per-step work leaves per-operation overhead to share, measured 1.5× faster
        per seed on the seed-000 cell, issue 6) and 1 for LeNet and the MLP (measured no gain). With
        ``auto`` the worker trains them in groups that fit ``replica_memory_mib`` (1 GiB) of activations
        (``engine.replicas_within``: the IMDB LSTM(32) at batch 128 × 500 steps takes about 225 MB per
        replica)."""
        if isinstance(self.replicas, int):
            return self.replicas
        return AUTO_TEXT_REPLICAS if config.model.kind == "rnn" else 1

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if not _DEVICE.fullmatch(v):
            raise ValueError(f"{_DEVICE_RULE} | fix: {_DEVICE_FIX}")
        return v

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The seeds: 0 … n−1 for a count, else as listed."""
        return tuple(range(self.seeds)) if isinstance(self.seeds, int) else self.seeds

    @property
    def folder(self) -> Path:
        return self.storage.folder or Path("runs") / self.name


@dataclass(frozen=True)
class Configuration:
    """One point of the grid with the spec slices a run of it trains with."""

    config_id: str  # a short stable hash of the factor values
    values: dict[str, Any]  # factor name → value
    data: Any  # DataSpec
    model: Any  # ModelSpec
    train: TrainSpec


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def spec_hash(spec: StudySpec) -> str:
    """The hash that identifies a study: everything that changes which runs exist or what they compute.

    Name, description, storage, how it runs (workers, replicas, device) and the aggregate (a reporting
    choice) are left out, and so is ``data.subset`` when it cuts nothing, so that studies created before
    it existed keep their hash.
    """
    keep = spec.model_dump(mode="json", include={"data", "model", "train", "search", "seeds", "objective"})
    if spec.data.subset.is_whole:
        del keep["data"]["subset"]
    return hashlib.sha256(_canonical(keep).encode()).hexdigest()[:16]


_INDEX = re.compile(r"\[(\d+)\]")


def _set_path(raw: dict[str, Any], path: str, value: Any) -> str | None:
    """Set ``value`` at ``path`` ("model.layers[0].units") in ``raw``; return a problem text or None."""
    parts = [p for p in _INDEX.sub(r".\1", path).split(".") if p]
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        key: Any = int(part) if part.isdigit() else part
        nxt = parts[i + 1]
        if isinstance(node, list):
            if not isinstance(key, int) or key >= len(node):
                return f"has no item {part} in {'.'.join(parts[:i]) or 'the spec'}"
            node = node[key]
        elif isinstance(node, dict):
            if node.get(key) is None:
                node[key] = [] if nxt.isdigit() else {}
            node = node[key]
        else:
            return f"goes inside {'.'.join(parts[: i + 1])}, which is a value, not a section"
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            return f"has no item {last}"
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        return "goes inside a value, not a section"
    return None


def expand(spec: StudySpec, raw: dict[str, Any] | None = None) -> list[Configuration]:
    """Every configuration of the grid, in grid order (the first factor varies slowest).

    ``raw`` is the study as written (before defaults); grid values are put into it and each section is
    validated again, so that a value the section would refuse is reported with its grid path.
    """
    base = raw if raw is not None else spec.model_dump(mode="json", exclude_unset=True)
    names = spec.search.factor_names()
    paths = list(spec.search.grid)
    configs: list[Configuration] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for combo in itertools.product(*(spec.search.grid[p] for p in paths)):
        trial = json.loads(json.dumps({k: base.get(k) for k in SWEEPABLE}, default=str))
        for path, value in zip(paths, combo, strict=True):
            error = _set_path(trial, path, value)
            if error:
                problems.append(Problem(f"search.grid.{path}", error, value, "check the path in the spec"))
        if problems:
            break
        sections = {}
        for section, model in (("data", DataSpec), ("model", ModelSpec), ("train", TrainSpec)):
            try:
                sections[section] = validate(model, trial[section] if trial[section] is not None else {}, section)
            except SpecError as err:
                for p in err.problems:
                    where_norm = _INDEX.sub(r".\1", p.where)
                    key = next((g for g in paths if where_norm.startswith(_INDEX.sub(r".\1", g))), None)
                    where = f"search.grid.{key}" if key else p.where
                    if where not in seen:
                        seen.add(where)
                        problems.append(Problem(where, p.constraint, p.got, p.fix))
        if len(sections) == 3:
            values = {names[p]: v for p, v in zip(paths, combo, strict=True)}
            cid = hashlib.sha256(_canonical(values).encode()).hexdigest()[:10]
            configs.append(Configuration(cid, values, sections["data"], sections["model"], sections["train"]))
    if problems:
        raise SpecError(problems)
    return configs


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SpecError([Problem(str(path), "must be a study file (YAML)", "no such file", "check the path")])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise SpecError([Problem(str(path), "must be UTF-8 text", f"byte {err.start}", "save it as UTF-8")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SpecError([Problem(where, "must be valid YAML", problem, "fix the syntax at that line")]) from None
    if not isinstance(raw, dict):
        raise SpecError([Problem(str(path), "must be a YAML mapping of sections", type(raw).__name__, "see studies/demo.yaml")])
    return raw


def _first_point(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with every grid path set to its first value, so that a section whose required value comes
    only from the grid (``units`` in the paper's preset) validates as a whole."""
    search = raw.get("search")
    grid = search.get("grid") if isinstance(search, dict) else None
    if not isinstance(grid, dict):
        return raw
    out = json.loads(json.dumps(raw, default=str))
    for path, values in grid.items():
        if isinstance(path, str) and isinstance(values, list) and values:
            _set_path(out, path, values[0])  # a bad path is reported by expand()
    return out


def parse_spec(raw: dict[str, Any]) -> tuple[StudySpec, list[Configuration]]:
    """Validate a study dictionary: the whole spec (at the grid's first point), then every configuration.

    The spec's data, model and train sections are those of the first configuration.
    """
    spec = validate(StudySpec, _first_point(raw))
    return spec, expand(spec, raw)


def load_spec(path: Path, sets: Sequence[str] = ()) -> tuple[StudySpec, list[Configuration], dict[str, Any]]:
    """Read, override and validate a study file; return the spec, its configurations and the raw dict
    (with overrides applied) that the store keeps as the study's own copy."""
    raw = apply_overrides(_read_yaml(path), sets)
    raw.setdefault("name", path.stem)
    spec, configs = parse_spec(raw)
    return spec, configs, raw


__all__ = [
    "METRICS",
    "AggregateSpec",
    "Configuration",
    "ObjectiveSpec",
    "SearchSpec",
    "StorageSpec",
    "StudySpec",
    "check_device",
    "expand",
    "load_spec",
    "parse_spec",
    "problems_from",
    "spec_hash",
]
