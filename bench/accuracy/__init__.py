"""Line-counting accuracy on real video against ground truth, side by side with Ultralytics and supervision.

Ground truth: crossings derived from the MOT annotations of ../shared/media (the foot point of each annotated
person stepping through the segment, bench/accuracy/evaluation.py, as described in shared/README.md).

Contenders, all with the same model file, image size, video, frames and lines (person class only):

* **ours**: the production counting path, ``worker.pipeline.CountingSession`` with ``YoloPersonTracker``,
  built exactly as ``worker.runner.Worker`` builds it from ``WorkerSettings`` (the ``STOREINTEL_WORKER_*``
  variables apply, so a tuning can be tried without editing code). By default each line gets its own session
  and a fresh tracker, like one worker per line; ``--quick`` runs the detector and tracker once and hands the
  recorded tracks to one ``CountingSession`` per line (identical results: the tracker never sees the line).
* **Ultralytics** ``solutions.ObjectCounter`` (one per line, as its API takes one region), with its defaults
  except ``tracker="bytetrack.yaml"``: box-centre anchor, ``conf`` 0.25, each track counted at most once.
* **supervision** ``LineZone`` fed by ``model.track(persist=True, tracker="bytetrack.yaml")`` →
  ``Detections.from_ultralytics``: with its default triggering anchors (all four box corners must cross), and
  with ``triggering_anchors=[BOTTOM_CENTER]`` (the foot point, what we count on) as a fairer variant.

Direction mapping (checked on synthetic cases at start-up, see :func:`check_direction_conventions`):
our ``IN`` means the track ends on the line's ``in_side`` (left/right of A→B with y pointing down,
docs/worker-protocol.md). supervision's "in" is a move to the left of A→B, so it is our ``IN`` when
``in_side`` is ``left``. ObjectCounter's "in" is a move to +x for lines steeper than 45° and to +y otherwise;
it is our ``IN`` when that move goes towards ``in_side``.

Scores per line and direction: the count of each contender, the absolute count error in % of the truth, and
crossing-event precision, recall and F1 (a predicted crossing matches a true one of the same direction within
``--tolerance-s``, 1 s). Target (issue 8): for ours, on every line, total count error ≤ 5 % and F1 ≥ 0.90.
As a diagnostic the totals also score ours against the truth less each person's back-and-forth pairs within
the tolerance (``bench.accuracy.evaluation.without_back_and_forth``), which a counter with hysteresis never
counts.

    python bench/counting_accuracy.py                 # default lines, all contenders (~15 min, 2 busy cores)
    python bench/counting_accuracy.py --quick --no-peers
    python bench/counting_accuracy.py --videos all --quick   # every annotated video, tune lines (suite.py)
    python bench/counting_accuracy.py --line door=0.2,0.6,0.8,0.6:right --line aisle=0.5,0.1,0.5,0.9
    python bench/counting_accuracy.py --write-docs    # also replace the table in docs/benchmarks.md
    python bench/counting_accuracy.py --line-set drawn --quick --no-peers  # 360 lines, seeds 1-60

This is a benchmark, not a test: it reports and never fails on a slow machine.

Modules (imported as ``bench.accuracy.*``, the repository root on ``sys.path``):

* ``evaluation``: ground-truth crossings from MOT annotations, event matching and F1 (pure; also the tests');
* ``media``: the video, its annotations and the frame source every contender reads;
* ``lines``: the line sets (default, validation, holdout, drawn) and each line's ground truth;
* ``ours`` and ``peers``: the contenders, each giving a :class:`~bench.accuracy.scoring.Result` per line;
* ``scoring``: count error, F1, the target, and the kinds of ours' misses;
* ``suite``: every annotated video on its drawn lines (``--videos``), scored per video and pooled;
* ``reports``: the markdown tables, the machine description and the docs/benchmarks.md blocks;
* ``cli``: the command line of bench/counting_accuracy.py.
"""
