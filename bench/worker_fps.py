"""Frames per second of the whole worker loop on the sample video, per model and image size, with the counting
accuracy of each setting next to it and the process's peak memory.

What is measured: ``worker.runner.Worker.run()``, the production loop, over ../shared/media's video read from
file as fast as possible at 10 fps sampling (the video is 10 fps, so every frame): decode, YOLO + ByteTrack
(``YoloPersonTracker``), counting (``CountingSession``), every event committed to the SQLite outbox
(WAL, ``synchronous=FULL``) and uploaded by the uploader thread to a loopback HTTP fake of the backend
(tests/worker/fake_backend.py, in the same process, so its CPU counts against the worker), plus heartbeats
and JSON logs on stderr. Each setting runs in a fresh child process so its peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``) is its own.

* ``fps`` = frames processed / seconds from the first processed frame to the last one (steady state: leaves
  out model loading and the first inference, which compiles OpenVINO kernels). ``fps incl. start`` divides by
  the whole ``run()`` including config fetch, first inference and the final outbox flush (model load is
  before it).
* Accuracy: the tracker's output is recorded while the worker runs and replayed through one
  ``CountingSession`` per line of bench/accuracy/lines.py's line sets (the counter never influences the
  tracker, so this is what a worker on each line would have counted); the events the fake backend received
  for the worker's own line are checked against the replay of that line.

    python bench/worker_fps.py                       # the four settings of issue 8
    python bench/worker_fps.py --setting openvino:640 --repeat 3
    python bench/worker_fps.py --write-docs          # also replace the table in docs/benchmarks.md

This is a benchmark, not a test: it reports and never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.accuracy import evaluation, media, ours, reports, scoring  # noqa: E402
from bench.accuracy import lines as line_sets  # noqa: E402

media.offline_ultralytics()  # before anything imports Ultralytics, here and in the child processes

SETTINGS = ("pt:640", "pt:416", "pt:320", "openvino:640")
WORKER_LINE = line_sets.DEFAULT_LINES[0]  # the line the running worker gets from the (fake) backend


def model_path(kind: str) -> str:
    return str(media.PT_MODEL if kind == "pt" else media.OPENVINO_MODEL)


def run_one(setting: str, line_set: str) -> dict[str, Any]:
    """One worker run in this process (called in a child); returns the figures as a dict."""
    from tests.worker.fake_backend import FakeBackend
    from worker.detector import YoloPersonTracker
    from worker.logs import configure_logging
    from worker.runner import Worker
    from worker.settings import WorkerSettings
    from worker.source import Frame

    kind, imgsz = setting.split(":")
    configure_logging("json", "info")  # the worker's production default, to stderr
    backend = FakeBackend(key="bench-key")
    url = backend.start()
    x1, y1, x2, y2 = WORKER_LINE.coords
    backend.set_config(counting_line={"x1": x1, "y1": y1, "x2": x2, "y2": y2, "in_side": WORKER_LINE.in_side})
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = WorkerSettings(
            api_url=url,
            key="bench-key",
            source=str(media.VIDEO),
            model=model_path(kind),
            imgsz=int(imgsz),
            target_fps=10,
            data_dir=Path(data_dir),
        )
        t0 = time.perf_counter()
        tracker = ours.RecordingTracker(YoloPersonTracker(settings.detector_config()))
        load_s = time.perf_counter() - t0
        seen: list[tuple[float, Frame]] = []

        def on_frame(frame: Frame) -> None:
            seen.append((time.perf_counter(), ours.thin(frame)))

        worker = Worker(settings, tracker=tracker, on_frame=on_frame)
        t0 = time.perf_counter()
        exit_code = worker.run()
        run_s = time.perf_counter() - t0
    backend.stop()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    frames = [f for _, f in seen]
    steady_s = seen[-1][0] - seen[0][0]

    width, height, _ = media.video_size_and_fps(media.VIDEO)
    lines = {}
    set_of = {line: name for name, lines in line_sets.named_line_sets().items() for line in lines}
    for line in line_sets.line_set(line_set):
        result = ours.count_with_session(
            ours.session_for(settings, ours.ReplayTracker(tracker.frames), line), frames
        )
        truth = line_sets.truth_for(line, width, height)
        score = evaluation.match_crossings(result.crossings, truth, tolerance_frames=10)
        lines[line.name] = {
            "truth": len(truth),
            "ours": result.count(),
            "tp": score.true_positives,
            "fp": score.false_positives,
            "fn": score.false_negatives,
            "tuned": line.tuned,
            "set": set_of[line],
        }
    return {
        "setting": setting,
        "exit_code": exit_code,
        "frames": len(frames),
        "fps": (len(frames) - 1) / steady_s,
        "fps_incl_start": len(frames) / run_s,
        "model_load_s": load_s,
        "peak_rss_mib": peak_mib,
        "events_at_backend": len(backend.stored),
        "worker_line_replayed": lines[WORKER_LINE.name]["ours"] if WORKER_LINE.name in lines else None,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "lines": lines,
    }


def accuracy_cells(lines: dict[str, dict[str, Any]]) -> list[str]:
    """Lines at target, worst line error, Σ|error|/Σtruth and pooled F1, per line set."""
    cells = []
    for group in ("default", "validation", "holdout"):
        rows = [r for r in lines.values() if r["set"] == group]
        if not rows:
            cells.append("-")
            continue
        at_target = sum(
            scoring.count_error_pct(r["ours"], r["truth"]) <= scoring.TARGET_ERROR_PCT
            and 2 * r["tp"] / max(1, 2 * r["tp"] + r["fp"] + r["fn"]) >= scoring.TARGET_F1
            for r in rows
        )
        worst = max(scoring.count_error_pct(r["ours"], r["truth"]) for r in rows)
        err = 100 * sum(abs(r["ours"] - r["truth"]) for r in rows) / sum(r["truth"] for r in rows)
        tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
        f1 = 2 * tp / (2 * tp + fp + fn)
        cells.append(f"{at_target}/{len(rows)} at target; worst {worst:.0f} %; Σ {err:.1f} %; F1 {f1:.3f}")
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", action="append", choices=SETTINGS, help="repeat; default: all four")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per setting (the table shows the best fps)"
    )
    parser.add_argument(
        "--line-set", choices=line_sets.LINE_SETS, default="all", help="lines for the accuracy columns"
    )
    parser.add_argument("--write-docs", action="store_true", help="replace the table in docs/benchmarks.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: run one setting, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.line_set)))
        return 0

    started, load_before = time.perf_counter(), os.getloadavg()
    results: list[dict[str, Any]] = []
    for setting in args.setting or SETTINGS:
        runs = []
        for _ in range(args.repeat):
            child = subprocess.run(
                [sys.executable, __file__, "--one", setting, "--line-set", args.line_set],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                print(child.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{setting}: child failed with {child.returncode}")
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
            r = runs[-1]
            print(
                f"{setting}: {r['fps']:.1f} fps ({r['fps_incl_start']:.1f} incl. start), "
                f"peak {r['peak_rss_mib']:.0f} MiB, load {r['load_start']:.1f}->{r['load_end']:.1f}, "
                f"events at backend {r['events_at_backend']}"
                f" (replay of its line: {r['worker_line_replayed']})",
                flush=True,
            )
        results.append(max(runs, key=lambda r: r["fps"]))

    head = [
        "setting",
        "fps",
        "fps incl. start",
        "peak RSS MiB",
        "load avg (start → end)",
        "accuracy, default lines",
        "accuracy, validation lines",
        "accuracy, holdout lines",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    names = {"pt": "PyTorch `yolo11n.pt`", "openvino": "OpenVINO INT8"}
    for r in results:
        kind, imgsz = r["setting"].split(":")
        rows.append(
            "| "
            + " | ".join(
                [
                    f"{names[kind]} at {imgsz}",
                    f"**{r['fps']:.1f}**",
                    f"{r['fps_incl_start']:.1f}",
                    f"{r['peak_rss_mib']:.0f}",
                    f"{r['load_start']:.1f} → {r['load_end']:.1f}",
                    *accuracy_cells(r["lines"]),
                ]
            )
            + " |"
        )
    table = "\n".join(rows)
    print()
    print(table)
    if args.write_docs:
        body = (
            f"Produced by `{reports.command_line()}` on {date.today().isoformat()} "
            f"({(time.perf_counter() - started) / 60:.0f} min), {reports.machine_description()}; "
            f"load average {load_before[0]:.1f} at the start. CPU only (no GPU on this machine). "
            f"{'Best of ' + str(args.repeat) + ' runs per setting. ' if args.repeat > 1 else ''}"
            "Accuracy: lines meeting the target (count error ≤ 5 % and F1 ≥ 0.90), the worst line's count "
            "error, the summed absolute count error over the summed truth, and pooled crossing F1.\n\n"
            f"{table}\n"
        )
        reports.write_docs_section("worker_fps", body)
        print(f"\nwrote {reports.DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
