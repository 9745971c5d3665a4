"""Issue 6's benchmark: sweepstat against Keras 3 on TensorFlow and plain PyTorch, on the seeds' workloads,
with the machine's own GEMM peak and memory bandwidth measured in the same run. Writes BENCHMARKS.md.

    .venv/bin/python benchmarks/bench.py                 # everything (make bench); well under an hour
    .venv/bin/python benchmarks/bench.py --quick         # a few minutes: small sizes, one repetition
    .venv/bin/python benchmarks/bench.py --workloads W1,W4 --repeats 2 --replicas W1=1,4,8

How it measures:
- the peers run in their own processes, one run after another as a user's script would, with their
  default thread settings (plus PyTorch at 1 thread, for information); Keras/TensorFlow comes from
  ``.bench-venv``, made here on first use (benchmarks/_env.py), PyTorch from sweepstat's ``.venv``;
- sweepstat runs each workload as a study: the real ``sweepstat run`` on a generated study file, on all
  cores with its default workers (and once with one worker), timed from its store (benchmarks/_studies.py);
- every configuration runs in a fresh process; repetitions are interleaved (repetition-major: all
  workloads and configurations once, then again), so a drift of the shared machine hits all alike;
- the peers' first epoch (first 100 iterations for W4) is warm-up and dropped; sweepstat's figures keep
  their first epoch (against sweepstat);
- the machine probes (benchmarks/_machine.py) run at the start of every repetition.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _env import REPO, ensure_bench_venv, hardware, load_average
from _machine import GEMM_N, GEMM_REPS, STREAM_FLOATS, STREAM_REPS
from _report import md_table, number, percent, ratio, seconds, spread, summarize, times, verdict
from _studies import default_workers, run_study
from _workloads import DATA_DIR, IMDB_TARBALL, REPLICAS, TARGETS, Workload, workloads

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"
RESULTS_DIR = REPO / "runs" / "bench"
W2_FULL_SEEDS, W2_FULL_CONFIGS, W2_FULL_EPOCHS = 50, 30, 10

KERAS, TORCH, TORCH1 = "Keras/TF `model.fit`", "PyTorch, default threads", "PyTorch, 1 thread"


def info_only(plan: list[tuple[str, Any]]) -> set[str]:
    """The configurations given for information only (PyTorch at 1 thread, sweepstat with one worker):
    run in the first ``--info-repeats`` repetitions only, to keep the benchmark short."""
    return {name for name, _ in plan if name == TORCH1 or name.endswith("1 worker")}


def log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------ processes


def run_worker(python: Path | str, job: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([str(python), str(WORKER), json.dumps(job)], capture_output=True, text=True, cwd=HERE)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {job.get('job')} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def probe_machine(keras_python: Path | None, quick: bool) -> dict[str, float]:
    gemm_reps, stream_reps = (2, 3) if quick else (GEMM_REPS, STREAM_REPS)
    out: dict[str, float] = {}
    cores = default_workers()
    for threads, tag in ((1, "1 thread"), (None, "all threads")):
        out[f"torch.mm GFLOP/s, {tag}"] = run_worker(sys.executable, {"job": "torch_gemm", "threads": threads, "reps": gemm_reps})["gflops"]
        if keras_python is not None:
            out[f"tf.matmul GFLOP/s, {tag}"] = run_worker(keras_python, {"job": "tf_gemm", "threads": threads, "reps": gemm_reps})["gflops"]
    for kind in ("copy", "triad"):
        for procs, tag in ((1, "1 process"), (cores, f"{cores} processes")):
            job = {"job": "bandwidth", "kind": kind, "processes": procs, "reps": stream_reps}
            out[f"{kind} GB/s, {tag}"] = run_worker(sys.executable, job)["gbs"]
    return out


# ------------------------------------------------------------------------------------------------ data


def prepare_arrays(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """sweepstat's own prepared arrays for ``data``, saved for the peers; returns their sizes."""
    from sweepstat.data import default_cache_dir, prepare
    from sweepstat.spec import DataSpec, validate

    prepared = prepare(validate(DataSpec, data, "data"), default_cache_dir())
    np.savez(
        path,
        x_train=prepared.train.x,
        y_train=prepared.train.y,
        x_test=prepared.test.x,
        y_test=prepared.test.y,
        vocab_size=np.int64(prepared.vocab_size),
        n_classes=np.int64(prepared.n_classes),
    )
    return {
        "n_train": len(prepared.train),
        "n_test": len(prepared.test),
        "vocab": int(prepared.vocab_size),
        "maxlen": int(prepared.train.x.shape[-1]) if prepared.train.x.ndim == 2 else 0,
    }


# ------------------------------------------------------------------------------------------- measuring


def kept(seconds_list: list[float]) -> list[float]:
    """Drop the warm-up: the first epoch, or the first 100 iterations."""
    return list(seconds_list[1:])


def measure_peer(
    w: Workload, side: str, python: Path | str, arrays: Path, quick: bool, threads: int | None
) -> dict[str, Any]:
    job = {"job": side, "threads": threads, "arrays": str(arrays), "runs": w.peer_runs(quick), "seed": 0}
    out = run_worker(python, job)
    per_run = {r["label"]: kept(r["seconds"]) for r in out["runs"]}
    sample: dict[str, Any] = {
        "accuracy": [r["test_accuracy"] for r in out["runs"]],
        "threads": out["threads"],
        "versions": out["versions"],
        "per_run": {k: statistics.median(v) for k, v in per_run.items()},
    }
    if w.key == "W2":
        s = w.sizes(quick)
        study = sum(s.seeds * s.length * statistics.median(v) for v in per_run.values())
        sample["values"] = [study]
        sample["per_unit"] = statistics.median([x for v in per_run.values() for x in v])
    else:
        sample["values"] = next(iter(per_run.values()))
    return sample


def study_seeds(w: Workload, quick: bool, replicas: int | str, workers: int | None) -> int:
    """Seeds per configuration: the workload's, raised so that every worker gets at least one full replica
    group (W2 keeps its 5: it is a fixed study); a one-worker study (a transparency figure) takes a quarter
    of them, at least one group."""
    if w.key == "W2":
        return w.sizes(quick).seeds
    if replicas == "auto":  # sweepstat's own choice (StudySpec.replicas_for): 8 for text models, 1 else
        from sweepstat.spec._study import AUTO_TEXT_REPLICAS

        replicas = AUTO_TEXT_REPLICAS if w.model["kind"] == "rnn" else 1
    group = int(replicas)
    seeds = max(w.sizes(quick).seeds, group * default_workers())
    return max(group, seeds // 4) if workers == 1 else seeds


def measure_sweepstat(
    w: Workload, quick: bool, replicas: int | str, workers: int | None, tmp: Path, tag: str
) -> dict[str, Any]:
    name = f"bench-{w.key.lower()}-{tag}"
    seeds = study_seeds(w, quick, replicas, workers)
    summary = run_study(w.study_spec(quick, replicas, name, seeds), tmp / name, w.unit, workers)
    shutil.rmtree(tmp / name, ignore_errors=True)
    bad = {k: v for k, v in summary["states"].items() if k != "COMPLETE"}
    if bad:
        raise RuntimeError(f"{name}: runs did not complete: {bad}")
    value = summary["command_seconds"] if w.key == "W2" else summary["seconds_per_unit"]
    return {
        "values": [value],
        "accuracy": [summary["mean_test_accuracy"]],
        "threads": f"{summary['workers']} worker(s) × 1 thread, replicas {replicas}",
        "study": summary,
    }


def merge(into: dict[str, Any], sample: dict[str, Any]) -> None:
    into.setdefault("values", []).extend(sample["values"])
    into.setdefault("accuracy", []).extend(sample["accuracy"])
    into.setdefault("samples", []).append({k: v for k, v in sample.items() if k not in ("values", "accuracy")})
    into["threads"] = sample["threads"]


# ------------------------------------------------------------------------------------------- rendering


def work_of(w: Workload, run: dict[str, Any], info: dict[str, Any], batch: int) -> tuple[float, float]:
    """(FLOPs, optimizer bytes) of one unit (run-epoch or run-100-iterations) of ``run``."""
    work = w.work(run, info["vocab"], info["maxlen"])
    if w.unit == "epoch":
        steps = math.ceil(info["n_train"] / batch)
        return float(work.epoch_flops(info["n_train"], info["n_test"])), float(work.optimizer_bytes_per_step() * steps)
    return float(100 * work.train_step_flops(batch)), float(100 * work.optimizer_bytes_per_step())


def study_work(w: Workload, info: dict[str, Any], quick: bool) -> tuple[float, float, int]:
    """Total (FLOPs, optimizer bytes, run-epochs) of the W2 study as sweepstat runs it."""
    s = w.sizes(quick)
    flops = moved = 0.0
    for run in w.peer_runs(quick):
        f, b = work_of(w, run, info, run["batch"])
        flops += f * s.seeds * s.length
        moved += b * s.seeds * s.length
    return flops, moved, len(w.peer_runs(quick)) * s.seeds * s.length


def render(results: dict[str, Any]) -> str:
    meta, machine = results["meta"], results["machine"]
    peak_flops = max((statistics.median(v) for k, v in machine.items() if "GFLOP/s, all" in k), default=math.nan)
    torch_peak = statistics.median(machine.get("torch.mm GFLOP/s, all threads", [math.nan]))
    bw_key = next((k for k in machine if k.startswith("copy GB/s") and "processes" in k), "")
    peak_bw = statistics.median(machine[bw_key]) if bw_key else math.nan
    lines = [
        "# Benchmarks (issue 6)",
        "",
        "Generated by `benchmarks/bench.py` (`make bench`); do not edit by hand. "
        + ("**Quick mode: small sizes and one repetition; a smoke test, not figures to quote.**" if meta["quick"] else ""),
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}; whole benchmark {seconds(meta['wall_seconds'])}; load average at start "
        f"{meta['load_start']}, at end {meta['load_end']} (the machine is shared: other work may have run)",
        f"- hardware: {meta['hardware']['cpu']}, {meta['hardware']['cores']}, {meta['hardware']['memory']}; "
        f"{meta['hardware']['os']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        f"- repetitions: {meta['repeats']}, interleaved (all workloads and configurations once, then again; "
        f"W2 in the first {meta.get('w2_repeats', 1)}, PyTorch at 1 thread and sweepstat with one worker, "
        f"given for information, in the first {meta.get('info_repeats', 1)}); every configuration in a fresh "
        "process; n in the tables counts the kept samples (peers: epochs or 100-iteration chunks; sweepstat: "
        "studies)",
        "",
        "Ratio = peer time ÷ sweepstat time (medians): how many times faster sweepstat is. sweepstat runs every "
        "workload as a study through `sweepstat run` on all cores (one single-threaded worker per core, its "
        "default); its time per run-epoch (W4: per run-100-iterations) is the training wall time of the whole "
        "machine ÷ (runs × epochs). The machine's training time is the busiest worker's: the sum of the "
        "training clocks, stored with every run in the study's store, of the replica groups that worker "
        "trained one after another (the workers train side by side and slow each other down, which their "
        "clocks include). It counts every run's first epoch and the set-up of its optimizer and tensors; "
        "worker start-up, data loading and storing are in the whole-command time, also given. With R "
        "replicas a group trains R seeds at once, so its clock counts for R runs. The peers train one run at "
        "a time in one process with their default threads, as a user's script would; their first epoch (W4: "
        "first 100 iterations) is dropped as warm-up.",
        "",
        "## Headline",
        "",
    ]
    head_rows, sections = [], []
    for key, wr in results["workloads"].items():
        if "skipped" in wr:
            head_rows.append([key, "skipped: " + wr["skipped"], "", "", "", "", ""])
            continue
        w = workloads(Path(results["meta"]["data_dir"]))[key]
        configs = wr["configs"]
        base_name = wr["baseline"]
        base = summarize(configs[base_name]["values"])
        what = "per study" if key == "W2" else f"per run-{'epoch' if w.unit == 'epoch' else '100-iterations'}"
        row = [wr["title"], f"{seconds(base.median)} {what} ({base_name})"]
        for side, name in (("keras", KERAS), ("torch", TORCH)):
            if name not in configs:
                row += ["–", "–"]
                continue
            r = ratio(summarize(configs[name]["values"]).median, base.median)
            row += [times(r), f"≥ {TARGETS[key][side]:g}×: {verdict(r, TARGETS[key][side])}"]
        one = configs.get(TORCH1)
        row.append(times(ratio(summarize(one["values"]).median, base.median)) if one else "–")
        head_rows.append(row)
        sections.append(render_workload(w, wr, results, peak_flops, torch_peak, peak_bw))
    lines.append(
        md_table(
            ["workload", "sweepstat", "vs Keras/TF", "target", "vs PyTorch", "target", "vs PyTorch 1 thread (info)"],
            head_rows, right=(2, 4, 6),
        )
    )
    lines += ["", "## The machine, measured in this run", ""]
    rows = [[k, number(summarize(v).median, 4), f"{number(min(v), 4)} – {number(max(v), 4)}"] for k, v in machine.items()]
    lines.append(md_table(["probe", "median", "min – max"], rows, right=(1,)))
    lines += [
        "",
        f"GEMM: the best of {meta['gemm_reps']} products of two {GEMM_N}×{GEMM_N} fp32 matrices per probe. "
        f"Bandwidth: the best of {meta['stream_reps']} STREAM-style copies (2 arrays moved) and triads "
        f"(3 arrays) over {STREAM_FLOATS * 4 // 2**20} MiB arrays, single-threaded torch kernels, in one "
        "process and in one process per core started together (write-allocate traffic not counted).",
        "",
    ]
    lines += sections
    lines += [
        "## How the work is counted",
        "",
        "FLOPs per training step = 3 × the forward pass's matrix-product and convolution FLOPs (a multiply-add "
        "is 2; element-wise work and the embedding gather are not counted); an epoch adds one forward pass "
        "over the evaluated split. The input projection of the first recurrent layer is counted at every "
        "position, as a dense implementation computes it; sweepstat computes it once per distinct token of a "
        "batch (docs/speed.md), so its GFLOP/s are dense-equivalent and can pass the GEMM peak. Optimizer "
        "bytes per step = "
        "parameters × 4 bytes × arrays read and written (Adam 7: reads p, g, m, v, writes p, m, v; RMSprop "
        "5; SGD with momentum 5), the dense update of the whole embedding table included, as Keras does it: a "
        "dense-equivalent count for every side, so an optimizer that updates only the rows a batch used "
        "(sweepstat's) may show more GB/s than the machine can move. "
        "Achieved rates = that work ÷ the measured time, set against the best all-thread GEMM peak "
        f"({number(peak_flops, 4)} GFLOP/s) and the all-core copy bandwidth ({number(peak_bw, 3)} GB/s) above; "
        "a share above 100 % comes from that dense-equivalent counting, or from a probe that ran beside other "
        "work (the machine may be shared). benchmarks/_work.py holds the formulas.",
        "",
    ]
    return "\n".join(lines)


def render_workload(
    w: Workload, wr: dict[str, Any], results: dict[str, Any], peak_flops: float, torch_peak: float, peak_bw: float
) -> str:
    info, configs, quick = wr["info"], wr["configs"], results["meta"]["quick"]
    s = w.sizes(quick)
    base = summarize(configs[wr["baseline"]]["values"])
    out = [f"## {wr['title']}", "", w.what, ""]
    if w.key == "W2":
        n_cfg = len(w.configurations(quick))
        flops, moved, run_epochs = study_work(w, info, quick)
        out.append(
            f"Measured here: {n_cfg} configurations × {s.seeds} seeds × {s.length} epochs "
            f"({n_cfg * s.seeds} runs); the peers trained each configuration for {s.peer_length} epochs "
            f"(first dropped). Figures are the time of that whole study."
        )
        out.append("")
        rows = []
        for name, c in configs.items():
            sm = summarize(c["values"])
            rows.append([
                name, seconds(sm.median), spread(sm), str(sm.n), times(ratio(sm.median, base.median)),
                number(flops / sm.median / 1e9), number(moved / sm.median / 1e9),
                number(statistics.mean(c["accuracy"])), c["threads"],
            ])
        out.append(md_table(
            ["configuration", "study time", "min – max", "n", "÷ sweepstat", "GFLOP/s", "optimizer GB/s",
             "test accuracy (mean)", "threads"], rows, right=(1, 3, 4, 5, 6, 7)))
        factor = (W2_FULL_CONFIGS / n_cfg) * (W2_FULL_SEEDS / s.seeds) * (W2_FULL_EPOCHS / s.length)
        sw = configs[wr["baseline"]]["samples"][-1]["study"]
        overhead = sw["command_seconds"] - sw["machine_seconds"]
        out += [
            "",
            f"Full protocol (30 configurations × 50 seeds × 10 epochs = 1,500 runs), extrapolated: for the "
            f"peers the measured study time × {factor:g}; for sweepstat its machine training time × {factor:g} "
            f"plus, once, the rest of the command (start-up, data loading, storing: {seconds(overhead)} in the "
            "last repetition)"
            + (". Quick mode measured a part of the grid, so this is rough." if quick else ":"),
            "",
        ]
        rows = []
        for name, c in configs.items():
            if name == wr["baseline"]:
                t = statistics.median(
                    x["study"]["machine_seconds"] * factor + x["study"]["command_seconds"] - x["study"]["machine_seconds"]
                    for x in c["samples"]
                )
                full_sweepstat = t
            else:
                t = summarize(c["values"]).median * factor
            rows.append([name, f"{t / 3600:.2f} h", f"{t / 60:.0f} min"])
        out.append(md_table(["configuration", "1,500 runs", "minutes"], rows, right=(1, 2)))
        out += [
            "",
            f"Issue 6 also asks for the 1,500 runs in ≤ 60 minutes: "
            f"{verdict(60 * 60 / full_sweepstat, 1.0)} by this extrapolation. sweepstat's study, last "
            f"repetition: {sw['runs']} runs, {sw['epochs']} run-epochs, machine training time "
            f"{seconds(sw['machine_seconds'])} ({seconds(sw['seconds_per_unit'])} per run-epoch), first run "
            f"claimed → last stored {seconds(sw['span_seconds'])}, whole command {seconds(sw['command_seconds'])}; "
            f"`{sw['command']}`. Achieved work rates over the study: {run_epochs} run-epochs of "
            f"{number(flops / run_epochs / 1e9)} GFLOP on average.",
            "",
        ]
        return "\n".join(out)

    unit = "run-epoch" if w.unit == "epoch" else "run-100-iterations"
    units = "run-epochs" if w.unit == "epoch" else "× 100 run-iterations"
    runs = w.peer_runs(quick)
    flops, moved = work_of(w, runs[0], info, runs[0]["batch"])
    out.append(
        f"Data as prepared: {info['n_train']:,} training / {info['n_test']:,} test examples"
        + (f", maxlen {info['maxlen']}, vocabulary {info['vocab']:,}" if info["maxlen"] else "")
        + (f" (quick mode: `data.subset: {s.subset}`)" if quick and s.subset else "")
        + f". sweepstat: a study of {s.seeds} seeds × {s.length} {'epochs' if w.unit == 'epoch' else 'iterations'}; "
        f"peers: {s.peer_length} {'epochs' if w.unit == 'epoch' else 'iterations'} per run, first "
        f"{'epoch' if w.unit == 'epoch' else '100'} dropped. Work per {unit}: {number(flops / 1e9)} GFLOP, "
        f"optimizer {moved / 1e6:,.0f} MB."
    )
    out.append("")
    rows = []
    for name, c in configs.items():
        sm = summarize(c["values"])
        rows.append([
            name, seconds(sm.median), spread(sm), str(sm.n), times(ratio(sm.median, base.median)),
            f"{number(flops / sm.median / 1e9)} ({percent(flops / sm.median / 1e9 / peak_flops)})",
            f"{number(moved / sm.median / 1e9)} ({percent(moved / sm.median / 1e9 / peak_bw)})",
            number(statistics.mean(c["accuracy"])), c["threads"],
        ])
    out.append(md_table(
        ["configuration", f"s per {w.unit}", "min – max", "n", "÷ sweepstat", "GFLOP/s (% of peak)",
         "optimizer GB/s (% of copy)", "test accuracy (mean)", "threads"], rows, right=(1, 3, 4, 5, 6, 7)))
    notes = []
    for name, c in configs.items():
        if name.startswith("sweepstat"):
            st = c["samples"][-1]["study"]
            notes.append(
                f"{name}: {st['runs']} run{'s' if st['runs'] != 1 else ''}; machine training time "
                f"{seconds(st['machine_seconds'])} (÷ {st['n_units']:g} {units}), first run claimed → last "
                f"stored {seconds(st['span_seconds'])}, "
                f"whole command {seconds(st['command_seconds'])}, peak resident memory of a worker "
                f"{st.get('peak_rss_mb', math.nan):.0f} MiB (last repetition); `{st['command']}`"
            )
    out += ["", *[f"- {n}" for n in notes], ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ main


def parse_replicas(items: list[str]) -> dict[str, tuple[int | str, ...]]:
    out = dict(REPLICAS)
    for item in items:
        key, _, values = item.partition("=")
        keys = [k for k in out if k == key or k.split("-")[0] == key]
        if not keys or not values:
            raise SystemExit(f"--replicas must look like W1=1,8 with a workload of {', '.join(out)}; got {item!r}")
        for k in keys:
            out[k] = tuple(v if v == "auto" else int(v) for v in values.split(","))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repetition: a few minutes")
    ap.add_argument("--workloads", default="W1,W2,W3,W4", help="comma-separated subset (W3 = both W3 models)")
    ap.add_argument("--repeats", type=int, help="interleaved repetitions (default 3; --quick: 1)")
    ap.add_argument("--w2-repeats", type=int, default=1, help="repetitions of W2, the longest (default 1)")
    ap.add_argument("--info-repeats", type=int, default=1,
                    help="repetitions of the information-only configurations: PyTorch at 1 thread and "
                    "sweepstat with one worker (default 1)")
    ap.add_argument("--replicas", action="append", default=[], metavar="W1=1,8",
                    help="sweepstat replicas per workload, numbers or auto; the first is the headline (default auto, sweepstat's own default)")
    ap.add_argument("--no-keras", action="store_true", help="skip the Keras/TensorFlow peer")
    ap.add_argument("--sweepstat-only", action="store_true", help="skip both peers (e.g. to compare replicas)")
    ap.add_argument("--solo", action=argparse.BooleanOptionalAction, default=None,
                    help="also run sweepstat with one worker (default: yes; --quick: no)")
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR,
                    help=f"folder with imdb/{IMDB_TARBALL.split('/')[1]} and mnist/ (default {DATA_DIR})")
    ap.add_argument("--out", type=Path, help="Markdown output (default BENCHMARKS.md; --quick: runs/bench/)")
    args = ap.parse_args()

    t_start = time.perf_counter()
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    replicas = parse_replicas(args.replicas)
    wanted = [k.strip() for k in args.workloads.split(",") if k.strip()]
    all_w = workloads(args.data_dir)
    keys = [k for k in all_w if k in wanted or k.split("-")[0] in wanted]
    if not keys:
        raise SystemExit(f"--workloads must name some of W1, W2, W3, W4; got {args.workloads!r}")
    out_path = args.out or (RESULTS_DIR / "BENCHMARKS-quick.md" if quick else REPO / "BENCHMARKS.md")
    command = shlex.join([os.path.relpath(sys.executable, REPO), os.path.relpath(__file__, REPO), *sys.argv[1:]])
    load_start = load_average()

    keras_python = None if args.no_keras or args.sweepstat_only else ensure_bench_venv()
    tmp = Path(tempfile.mkdtemp(prefix="sweepstat-bench-"))
    results: dict[str, Any] = {"machine": {}, "workloads": {}}
    arrays: dict[str, tuple[Path, dict[str, Any]]] = {}
    plans: dict[str, list[tuple[str, Any]]] = {}
    for key in keys:
        w = all_w[key]
        data_key = json.dumps(w.data_spec(quick), sort_keys=True)
        title = w.title + (" (quick)" if quick else "")
        try:
            if data_key not in arrays:
                log(f"preparing the data of {key} with sweepstat's prepare()")
                path = tmp / f"data-{len(arrays)}.npz"
                arrays[data_key] = (path, prepare_arrays(w.data_spec(quick), path))
        except Exception as err:  # e.g. a data option this sweepstat does not have yet
            reason = f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"
            log(f"  {key} skipped: {reason}")
            results["workloads"][key] = {"title": title, "skipped": reason}
            continue
        path, info = arrays[data_key]
        plan: list[tuple[str, Any]] = []
        for r in replicas[key]:
            plan.append((f"sweepstat R={r}", ("sweepstat", r, None)))
        if (args.solo if args.solo is not None else not quick) and key != "W2":
            plan.append((f"sweepstat R={replicas[key][0]}, 1 worker", ("sweepstat", replicas[key][0], 1)))
        if keras_python is not None:
            plan.append((KERAS, ("keras", keras_python, None)))
        if not args.sweepstat_only:
            plan.append((TORCH, ("torch", sys.executable, None)))
            plan.append((TORCH1, ("torch", sys.executable, 1)))
        plans[key] = plan
        results["workloads"][key] = {"title": title, "info": info, "baseline": plan[0][0], "configs": {}}

    versions: dict[str, str] = {}
    try:
        for rep in range(repeats):
            log(f"repetition {rep + 1}/{repeats}: machine probes")
            for k, v in probe_machine(keras_python, quick).items():
                results["machine"].setdefault(k, []).append(v)
            for key, plan in plans.items():
                if key == "W2" and rep >= args.w2_repeats:
                    continue
                w = all_w[key]
                path, _ = arrays[json.dumps(w.data_spec(quick), sort_keys=True)]
                for name, (side, a, b) in plan:
                    if rep >= args.info_repeats and name in info_only(plan):
                        continue
                    t0 = time.perf_counter()
                    if side == "sweepstat":
                        sample = measure_sweepstat(w, quick, a, b, tmp, f"r{a}-w{b or 'all'}-{rep}")
                    else:
                        sample = measure_peer(w, side, a, path, quick, b)
                        versions.update(sample["versions"])
                    merge(results["workloads"][key]["configs"].setdefault(name, {}), sample)
                    shown = statistics.median(sample["values"])
                    log(f"  {key} {name}: {seconds(shown)}"
                        f"{' (study)' if key == 'W2' else ' per ' + w.unit}; "
                        f"accuracy {number(statistics.mean(sample['accuracy']))}; took {seconds(time.perf_counter() - t0)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    import sweepstat

    results["meta"] = {
        "command": command,
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "wall_seconds": time.perf_counter() - t_start,
        "load_start": load_start,
        "load_end": load_average(),
        "hardware": hardware(),
        "quick": quick,
        "repeats": repeats,
        "data_dir": str(args.data_dir),
        "w2_repeats": min(args.w2_repeats, repeats),
        "info_repeats": min(args.info_repeats, repeats),
        "gemm_reps": 2 if quick else GEMM_REPS,
        "stream_reps": 3 if quick else STREAM_REPS,
        "versions": {"sweepstat": sweepstat.__version__, **versions, "numpy": np.__version__},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    raw = RESULTS_DIR / f"results-{'quick-' if quick else ''}{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    raw.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    text = render(results)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text + "\n", encoding="utf-8")
    print()
    print(text)
    log(f"\nwrote {os.path.relpath(out_path, REPO)} (raw numbers: {os.path.relpath(raw, REPO)})")


if __name__ == "__main__":
    main()
