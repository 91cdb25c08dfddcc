"""Snapshots: every detected person is pixelated and blurred before the image leaves the device."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]

MAX_SNAPSHOT_BYTES = 2_000_000  # the API's limit for POST /worker/snapshot
# Low on purpose: for privacy a false positive (a blurred shelf) is cheap, a missed face is not.
SNAPSHOT_DETECTION_CONF = 0.1


def blur_regions(image: Image, boxes: Iterable[Box], pad_frac: float = 0.15) -> Image:
    """A copy of ``image`` (BGR, ``(h, w, 3)``) with each box (pixels, ``x1, y1, x2, y2``) unrecognizable.

    Boxes grow by ``pad_frac`` of their size on each side, because detector boxes often clip hair and arms.
    Regions are pixelated to blocks about 1/8 of the box width and then blurred: pixelation alone can be
    partly reversed, blur alone keeps silhouettes of faces at large kernel edges.
    """
    out = image.copy()
    height, width = out.shape[:2]
    for x1, y1, x2, y2 in boxes:
        pad_x, pad_y = (x2 - x1) * pad_frac, (y2 - y1) * pad_frac
        left, top = max(0, int(x1 - pad_x)), max(0, int(y1 - pad_y))
        right, bottom = min(width, int(np.ceil(x2 + pad_x))), min(height, int(np.ceil(y2 + pad_y)))
        if right <= left or bottom <= top:
            continue
        roi = out[top:bottom, left:right]
        w, h = right - left, bottom - top
        small = cv2.resize(roi, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
        coarse = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
        kernel = max(3, (min(w, h) // 4) | 1)  # odd, as GaussianBlur requires
        out[top:bottom, left:right] = cv2.GaussianBlur(coarse, (kernel, kernel), 0)
    return out


def encode_jpeg(image: Image, max_bytes: int = MAX_SNAPSHOT_BYTES) -> bytes:
    """JPEG bytes of ``image`` no larger than ``max_bytes``: lowers quality first, then halves the size."""
    img = image
    while True:
        for quality in (85, 70, 55, 40):
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise ValueError("JPEG encoding failed")
            data: bytes = buf.tobytes()
            if len(data) <= max_bytes:
                return data
        if min(img.shape[:2]) < 16:
            raise ValueError("cannot fit the snapshot under the size limit")
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA).astype(
            np.uint8
        )
