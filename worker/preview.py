"""Annotated preview video: the counting line, zones, tracked boxes with ids and running IN/OUT counts, drawn
on the frames the counting session processed. For calibrating a camera and checking the counter by eye."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from worker.line_counter import Direction
from worker.pipeline import CountingSession, FrameResult

Image = npt.NDArray[np.uint8]

LINE_COLOUR = (0, 255, 255)  # BGR yellow
ZONE_COLOUR = (255, 128, 0)
BOX_COLOUR = (0, 200, 0)
CROSS_COLOUR = (0, 0, 255)


def annotate(session: CountingSession, result: FrameResult) -> Image:
    """A copy of the frame with the session's line, zones, this frame's tracks and the running counts."""
    img = result.frame.image.copy()
    width, height = result.frame.size
    font = cv2.FONT_HERSHEY_SIMPLEX
    counts = session.zone_counts()
    for zone in session.zones:
        pts = np.array([[x * width, y * height] for x, y in zone.polygon], dtype=np.int32)
        cv2.polylines(img, [pts], isClosed=True, color=ZONE_COLOUR, thickness=2)
        label = f"{zone.name or zone.id}: {counts.get(str(zone.id), 0)}"
        cv2.putText(
            img, label, (int(pts[0][0]) + 4, int(pts[0][1]) + 18), font, 0.5, ZONE_COLOUR, 1, cv2.LINE_AA
        )
    line = session.line
    if line is not None:
        a = (round(line.x1 * width), round(line.y1 * height))
        b = (round(line.x2 * width), round(line.y2 * height))
        cv2.line(img, a, b, LINE_COLOUR, 2, cv2.LINE_AA)
        # Mark the "in" side with an arrow from the midpoint along the normal pointing into the store.
        dx, dy = b[0] - a[0], b[1] - a[1]
        norm = max(1.0, float(np.hypot(dx, dy)))
        # (dy, -dx) points to the left of a→b when y grows downwards (its cross product is negative).
        sign = 1.0 if line.in_side == "left" else -1.0
        nx, ny = sign * dy / norm, -sign * dx / norm
        mid = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
        tip = (round(mid[0] + nx * 30), round(mid[1] + ny * 30))
        cv2.arrowedLine(img, mid, tip, LINE_COLOUR, 2, cv2.LINE_AA, tipLength=0.3)
        cv2.putText(img, "IN", (tip[0] + 4, tip[1]), font, 0.5, LINE_COLOUR, 1, cv2.LINE_AA)
    crossed = {c.track_id for c in result.crossings}
    for person in result.people:
        x1, y1, x2, y2 = (round(v) for v in person.box)
        colour = CROSS_COLOUR if person.track_id in crossed else BOX_COLOUR
        cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2)
        cv2.circle(
            img,
            (round(person.anchor(session.anchor).x), round(person.anchor(session.anchor).y)),
            3,
            colour,
            -1,
        )
        cv2.putText(img, f"#{person.track_id}", (x1, max(12, y1 - 4)), font, 0.5, colour, 1, cv2.LINE_AA)
    text = f"IN {session.counts[Direction.IN]}  OUT {session.counts[Direction.OUT]}"
    cv2.rectangle(img, (0, 0), (230, 34), (0, 0, 0), -1)
    cv2.putText(img, text, (8, 24), font, 0.8, (255, 255, 255), 2, cv2.LINE_AA)
    return img
