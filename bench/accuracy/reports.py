"""The benchmark's output: markdown tables of the reports, the JSON of the crossings, and the blocks it writes
into docs/benchmarks.md (with the machine and command line they were produced on)."""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.accuracy.evaluation import MatchScore
from bench.accuracy.media import ROOT
from bench.accuracy.scoring import SEGMENT_END_PX, LineReport, classify_miss, count_error_pct, unmatched
from worker.line_counter import Direction
from worker.settings import WorkerSettings

DOCS = ROOT / "docs" / "benchmarks.md"


def misses_table(
    reports: Sequence[LineReport], tolerance_frames: int, width: int, height: int, per_line: bool = True
) -> str:
    """For each line where ours misses the target: its false negatives by kind, and its false positives; then
    their sums when there are several lines (only the sums unless ``per_line``)."""
    head = [
        "line (ours below target)",
        "truth",
        "ours",
        "missed true crossings",
        "of which crossed back within the tolerance",
        f"of which within {SEGMENT_END_PX:g} px of a segment end",
        "false crossings",
        "truth less back-and-forth pairs",
        "ours at target against it",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    below = [rep for rep in reports if not rep.meets_target(tolerance_frames)]
    if not below:
        return "Ours meets the target on every line."
    sums = [0] * 8  # truth, ours, missed, reversed, tip, false, net truth, at target against it
    for rep in below:
        missed, false = unmatched(rep, tolerance_frames)
        kinds = [classify_miss(m, rep, tolerance_frames, width, height) for m in missed]
        net = rep.net_truth(tolerance_frames)
        row = [
            rep.truth_count(),
            rep.results["ours"].count(),
            len(missed),
            kinds.count("reversed"),
            kinds.count("tip"),
            len(false),
            len(net),
            int(rep.meets_target(tolerance_frames, net)),
        ]
        sums = [a + b for a, b in zip(sums, row, strict=True)]
        if per_line or len(below) == 1:
            rows.append(
                f"| {rep.line.name} | " + " | ".join(map(str, row[:7])) + f" | {'yes' if row[7] else 'no'} |"
            )
    if len(below) > 1:
        rows.append(
            f"| **{len(below)} lines** | "
            + " | ".join(f"**{n}**" for n in sums[:7])
            + f" | **{sums[7]} yes** |"
        )
    return "\n".join(rows)


def markdown_table(reports: Sequence[LineReport], tolerance_frames: int) -> str:
    """Per line and direction: truth, each contender's count (absolute error %), ours' P/R/F1, peers' F1."""
    contenders = list(reports[0].results)
    peers = contenders[1:]
    head = ["line", "dir", "truth", *contenders, "ours P / R / F1", *(f"F1 {p}" for p in peers)]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rep in reports:
        for direction in (Direction.IN, Direction.OUT, None):
            truth = rep.truth_count(direction)
            cells = [
                f"**{rep.line.label}**{' (tuned on)' if rep.line.tuned else ''}"
                if direction is Direction.IN
                else "",
                direction.value if direction else "**total**",
                str(truth),
            ]
            for name in contenders:
                n = rep.results[name].count(direction)
                cells.append(f"{n} ({count_error_pct(n, truth):.0f} %)")
            s = rep.score("ours", tolerance_frames, direction)
            cells.append(f"{s.precision:.2f} / {s.recall:.2f} / {s.f1:.2f}")
            cells += [f"{rep.score(p, tolerance_frames, direction).f1:.2f}" for p in peers]
            if direction is None:
                cells = [f"**{c}**" if c and not c.startswith("**") else c for c in cells]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def compact_table(reports: Sequence[LineReport], tolerance_frames: int) -> str:
    """One row per line (for long line sets): truth, truth less back-and-forth pairs, each contender's count
    (absolute error %), ours' F1, and whether ours meets the target against either truth."""
    contenders = list(reports[0].results)
    head = [
        "line",
        "truth",
        "less back-and-forth pairs",
        *contenders,
        "ours F1",
        "ours at target",
        "… against the truth less pairs",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rep in reports:
        truth, net = rep.truth_count(), rep.net_truth(tolerance_frames)
        cells = [rep.line.label + (" (tuned on)" if rep.line.tuned else ""), str(truth), str(len(net))]
        for name in contenders:
            n = rep.results[name].count()
            cells.append(f"{n} ({count_error_pct(n, truth):.0f} %)")
        cells.append(f"{rep.score('ours', tolerance_frames).f1:.2f}")
        cells.append("yes" if rep.meets_target(tolerance_frames) else "no")
        cells.append("yes" if rep.meets_target(tolerance_frames, net) else "no")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def totals_table(reports: Sequence[LineReport], tolerance_frames: int) -> str:
    """Totals over all lines, over the held-out lines, and how many lines meet the target."""
    contenders = list(reports[0].results)
    head = [
        "lines",
        "truth",
        *contenders,
        "ours P / R / F1 (pooled)",
        "ours meets target on",
        "… against the truth less back-and-forth pairs",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    groups = [
        ("all", list(reports)),
        ("tuned on", [r for r in reports if r.line.tuned]),
        ("not tuned on", [r for r in reports if not r.line.tuned]),
    ]
    for label, group in groups:
        if not group:
            continue
        truth = sum(r.truth_count() for r in group)
        cells = [f"{label} ({len(group)})", str(truth)]
        for name in contenders:
            n = sum(r.results[name].count() for r in group)
            # Sum of per-line absolute errors: opposite errors on two lines must not cancel out.
            err = sum(abs(r.results[name].count() - r.truth_count()) for r in group)
            cells.append(f"{n} (Σ abs. error {100 * err / truth:.1f} %)" if truth else str(n))
        scores = [r.score("ours", tolerance_frames) for r in group]
        pooled = MatchScore(*(sum(getattr(s, f) for s in scores) for f in MatchScore.__slots__))
        cells.append(f"{pooled.precision:.3f} / {pooled.recall:.3f} / {pooled.f1:.3f}")
        cells.append(f"{sum(r.meets_target(tolerance_frames) for r in group)} / {len(group)}")
        net = sum(r.meets_target(tolerance_frames, r.net_truth(tolerance_frames)) for r in group)
        cells.append(f"{net} / {len(group)}")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def machine_description() -> str:
    """CPU model, cores and Python/OS, for the record."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def write_docs_section(key: str, body: str, docs: Path = DOCS) -> None:
    """Replace the text between ``<!-- bench:{key} -->`` and ``<!-- /bench:{key} -->`` in docs/benchmarks.md.

    Only that block changes (other sections belong to other people); the file is re-read right before
    writing. Raises ``RuntimeError`` when the markers are missing.
    """
    text = docs.read_text()
    pattern = re.compile(rf"(<!-- bench:{re.escape(key)} -->\n).*?(<!-- /bench:{re.escape(key)} -->)", re.S)
    if not pattern.search(text):
        raise RuntimeError(f"docs/benchmarks.md has no <!-- bench:{key} --> block")
    docs.write_text(pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text, count=1))


def command_line() -> str:
    """How this process was started, for the record."""
    return " ".join(
        [
            "python",
            *(a if " " not in a else repr(a) for a in [os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]]),
        ]
    )


def crossings_json(reports: Sequence[LineReport]) -> str:
    """The crossings of every line (truth and each contender) as ``[frame, "in"|"out"]`` pairs, with the
    line's coordinates, ``in_side`` and whether it was tuned on: what ``--json`` writes."""
    return json.dumps(
        {
            "lines": {
                r.line.name: {
                    "coords": r.line.coords,
                    "in_side": r.line.in_side,
                    "tuned": r.line.tuned,
                    "truth": [[c.frame, c.direction.value] for c in r.truth],
                    **{
                        n: [[c.frame, c.direction.value] for c in res.crossings]
                        for n, res in r.results.items()
                    },
                }
                for r in reports
            }
        },
        indent=1,
    )


@dataclass(frozen=True, slots=True)
class Run:
    """How a run was made, for the record under its tables: settings, sampling, timing and load."""

    settings: WorkerSettings
    model: str
    imgsz: int
    target_fps: float
    tolerance_s: float
    quick: bool
    elapsed_s: float
    load_before: float
    load_after: float
    frame_height: int | None  # None: several videos (the hysteresis floor in pixels differs)


def docs_body(run: Run, tables: str) -> str:
    """The text of a docs/benchmarks.md block: how it was produced, ours' settings, then ``tables``."""
    settings = run.settings
    floor = (
        f" (floor {settings.counter_config(run.frame_height).hysteresis_min:g} px)"
        if run.frame_height is not None
        else ""
    )
    elapsed = run.elapsed_s
    return (
        f"Produced by `{command_line()}` on {date.today().isoformat()} "
        + (f"({elapsed / 60:.0f} min), " if elapsed >= 120 else f"({elapsed:.0f} s), ")
        + f"{machine_description()}; "
        f"load average {run.load_before:.1f} at the start, {run.load_after:.1f} at the end.\n"
        f"Ours: `{Path(run.model).name}` at {run.imgsz}, {run.target_fps:g} fps sampling, "
        f"conf {settings.conf}, tracker `{settings.tracker.name}`, anchor {settings.anchor.value}, "
        f"hysteresis {settings.hysteresis_box_frac} x box height{floor}, "
        f"min_hits {settings.min_hits}, track TTL {settings.track_ttl_s:g} s, track stitching "
        + (
            f"within {settings.stitch_gap_s:g} s (gate {settings.stitch_gate_frac:g} x height, "
            f"+{settings.stitch_gate_growth:g} of itself per second unseen; a new box overlapping a "
            f"tracked one by IoU {settings.stitch_duplicate_iou:g} or more never joins)"
            if settings.stitch_gap_s > 0
            else "off"
        )
        + ("; one tracker run replayed per line (--quick). " if run.quick else "; a fresh tracker per line. ")
        + "Cells: count (absolute error in % of the truth). F1 matches crossings of the same direction "
        f"within {run.tolerance_s:g} s.\n\n" + tables
    )
