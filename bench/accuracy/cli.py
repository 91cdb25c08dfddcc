"""The command line of bench/counting_accuracy.py: pick the lines, run the contenders, print and record."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from bench.accuracy import __doc__ as PACKAGE_DOC
from bench.accuracy.lines import (
    DRAWN_SEEDS,
    HOLDOUT_SEED,
    LINE_SETS,
    BenchLine,
    line_set,
    parse_bench_line,
    parse_seeds,
    truth_for,
)
from bench.accuracy.media import (
    OPENVINO_MODEL,
    ROOT,
    VIDEO,
    AnnotatedVideo,
    annotated_videos,
    video_size_and_fps,
)
from bench.accuracy.ours import run_ours, stitch_report
from bench.accuracy.peers import check_direction_conventions, run_supervision, run_ultralytics
from bench.accuracy.reports import (
    DOCS,
    Run,
    compact_table,
    crossings_json,
    docs_body,
    markdown_table,
    misses_table,
    totals_table,
    write_docs_section,
)
from bench.accuracy.scoring import LineReport, Result
from bench.accuracy.suite import VideoRun, lines_of, suite_table, video_runs
from worker.settings import WorkerSettings


def parser() -> argparse.ArgumentParser:
    """The options of the benchmark (``--help`` lists them)."""
    parser = argparse.ArgumentParser(description=(PACKAGE_DOC or "").split("\n\n")[0])
    parser.add_argument(
        "--line",
        dest="lines",
        action="append",
        type=parse_bench_line,
        metavar="NAME=X1,Y1,X2,Y2[:SIDE]",
        help="a counting line (normalized); repeat for several; default: six lines, see DEFAULT_LINES",
    )
    parser.add_argument(
        "--line-set", choices=LINE_SETS, default="default", help="named line set, when no --line is given"
    )
    parser.add_argument(
        "--seed", type=int, default=HOLDOUT_SEED, help="draw the holdout lines with this seed (draw_lines)"
    )
    parser.add_argument(
        "--draw-seeds",
        type=parse_seeds,
        default=list(DRAWN_SEEDS),
        help="seeds of the drawn line set, e.g. 1-60 or 3,5 (six lines each, draw_lines)",
    )
    parser.add_argument("--model", default=str(OPENVINO_MODEL), help="model for every contender")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument(
        "--target-fps", type=float, default=10.0, help="sampling rate, frames/s (0 = every frame)"
    )
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--tolerance-s", type=float, default=1.0, help="event matching tolerance, seconds")
    parser.add_argument(
        "--quick", action="store_true", help="ours: track once, replay the tracks for every line"
    )
    parser.add_argument("--no-peers", action="store_true", help="ours only")
    parser.add_argument(
        "--videos",
        help="every annotated video of ../shared/media ('all') or some by name (comma-separated), on lines "
        "drawn across each one's walkable area (bench/accuracy/suite.py); --line and --line-set are ignored",
    )
    parser.add_argument(
        "--split",
        choices=("tune", "held-out", "both"),
        default="tune",
        help="with --videos: which drawn lines (held-out: measured once after the defaults are fixed)",
    )
    parser.add_argument("--json", type=Path, help="also write the crossings as JSON here")
    parser.add_argument("--write-docs", action="store_true", help="replace the table in docs/benchmarks.md")
    parser.add_argument(
        "--stitch-report",
        action="store_true",
        help="print every track-stitching join checked against the annotated identities, and exit",
    )
    return parser


def run_contenders(
    args: argparse.Namespace, settings: WorkerSettings, lines: Sequence[BenchLine]
) -> dict[str, dict[str, Result]]:
    """``{contender: {line name: Result}}``, ours first, then (unless ``--no-peers``) the peers, whose in/out
    conventions are checked first; prints progress."""
    if not args.no_peers:
        check_direction_conventions(args.model)
        print("peers' in/out conventions checked on synthetic crossings")
    results: dict[str, dict[str, Result]] = {"ours": run_ours(settings, lines, args.video, args.quick)}
    if not args.no_peers:
        results["Ultralytics"] = {}
        for line in lines:
            r = run_ultralytics(args.model, args.imgsz, line, args.video, args.target_fps)
            results["Ultralytics"][line.name] = r
            print(f"  Ultralytics {line.name}: {r.count()} crossings, {r.seconds:.0f} s", flush=True)
        sv_default, sv_foot = run_supervision(args.model, args.imgsz, lines, args.video, args.target_fps)
        results["supervision"], results["supervision (foot)"] = sv_default, sv_foot
        print(f"  supervision: {sv_default[lines[0].name].seconds:.0f} s for all lines", flush=True)
    return results


def run_of(
    args: argparse.Namespace,
    settings: WorkerSettings,
    elapsed_s: float,
    load_before: float,
    frame_height: int | None,
    load_after: float | None = None,
) -> Run:
    """The record of a run made with ``args`` (for the docs block); the load at the end read now unless
    given."""
    return Run(
        settings,
        args.model,
        args.imgsz,
        args.target_fps,
        args.tolerance_s,
        args.quick,
        elapsed_s,
        load_before,
        os.getloadavg()[0] if load_after is None else load_after,
        frame_height,
    )


def chosen_videos(names: str) -> list[AnnotatedVideo]:
    """``all`` or comma-separated names → the annotated videos; ``SystemExit`` naming an unknown one."""
    videos = {v.name: v for v in annotated_videos()}
    if names == "all":
        return list(videos.values())
    unknown = [n for n in names.split(",") if n not in videos]
    if unknown:
        raise SystemExit(f"unknown video {', '.join(unknown)}; annotated: {', '.join(videos)}")
    return [videos[n] for n in names.split(",")]


def run_videos(args: argparse.Namespace) -> int:
    """``--videos``: every chosen video on its drawn lines, a compact table per video and the suite table."""
    splits = ("tune", "held-out") if args.split == "both" else (args.split,)
    settings = WorkerSettings(model=args.model, imgsz=args.imgsz, target_fps=args.target_fps)
    load_before = os.getloadavg()
    started = time.perf_counter()
    runs: list[VideoRun] = []
    for video in chosen_videos(args.videos):
        lines = lines_of(video, splits)
        print(
            f"{video.name}: {video.width}x{video.height} at {video.fps:g} fps, {len(lines)} lines; "
            f"model {args.model} at {args.imgsz}",
            flush=True,
        )
        per_video = argparse.Namespace(**{**vars(args), "video": video.video})
        results = run_contenders(per_video, settings, lines)
        for run in video_runs(video, lines, results, args.tolerance_s):
            runs.append(run)
            print(f"\n{video.name}, {run.split} lines:\n")
            print(compact_table(run.reports, run.tolerance_frames))
    table = suite_table(runs)
    elapsed = time.perf_counter() - started
    print()
    print(table)
    if args.write_docs:
        run_record = run_of(args, settings, elapsed, load_before[0], None)
        key = "counting_accuracy_videos" + ("_held_out" if args.split == "held-out" else "")
        write_docs_section(key, docs_body(run_record, table))
        print(f"\nwrote {DOCS.relative_to(ROOT)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark as ``argv`` says (default: ``sys.argv``); prints the tables, returns 0."""
    args = parser().parse_args(argv)
    if args.videos:
        return run_videos(args)

    lines: list[BenchLine] = args.lines or list(line_set(args.line_set, args.seed, args.draw_seeds))
    width, height, fps = video_size_and_fps(args.video)
    tolerance_frames = round(args.tolerance_s * fps)
    settings = WorkerSettings(model=args.model, imgsz=args.imgsz, target_fps=args.target_fps)
    if args.stitch_report:
        print(stitch_report(settings, args.video))
        return 0
    load_before = os.getloadavg()
    started = time.perf_counter()
    print(
        f"{args.video.name}: {width}x{height} at {fps:g} fps; model {args.model} at {args.imgsz}; "
        f"load {load_before[0]:.1f}"
    )

    results = run_contenders(args, settings, lines)
    reports = [
        LineReport(
            line, truth_for(line, width, height), {name: per[line.name] for name, per in results.items()}
        )
        for line in lines
    ]
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    compact = not args.lines and args.line_set == "drawn"
    table = (compact_table if compact else markdown_table)(reports, tolerance_frames)
    totals = totals_table(reports, tolerance_frames)
    misses = misses_table(reports, tolerance_frames, width, height)
    print()
    print(table)
    print()
    print(totals)
    print()
    print(misses)
    if args.json:
        args.json.write_text(crossings_json(reports))
    if args.write_docs:
        misses_summed = misses_table(reports, tolerance_frames, width, height, per_line=False)
        tables = (
            f"{totals}\n\nThe lines below target, summed (one row per line, and the table of every line: "
            f"the command's output):\n\n{misses_summed}\n"
            if compact
            else f"{table}\n\n{totals}\n\n{misses}\n"
        )
        run = run_of(args, settings, elapsed, load_before[0], height, load_after[0])
        write_docs_section(
            "counting_accuracy_drawn" if compact else "counting_accuracy", docs_body(run, tables)
        )
        print(f"\nwrote {DOCS.relative_to(ROOT)}")
    return 0
