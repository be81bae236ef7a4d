"""Face boxes: their geometry in one place.

A box is (top, right, bottom, left) in pixels of an image, the order
face_recognition uses and faces.csv keeps; columns of boxes are (N, 4) arrays
in the same order. Conversions to other conventions (x, y, width, height;
YOLO's normalized centres) happen here and nowhere else.
"""

import numpy as np


def size(box):
    """(width, height) of a box."""
    top, right, bottom, left = box
    return right - left, bottom - top


def overlap(a, b):
    """True if two boxes share any area."""
    return min(a[1], b[1]) > max(a[3], b[3]) and min(a[2], b[2]) > max(a[0], b[0])


def iou(a, b):
    """Intersection over union of two boxes (0.0 when they do not overlap)."""
    if not overlap(a, b):
        return 0.0
    inter = (min(a[1], b[1]) - max(a[3], b[3])) * (min(a[2], b[2]) - max(a[0], b[0]))
    area = lambda r: (r[1] - r[3]) * (r[2] - r[0])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def scaled(box, factor):
    """A box in pixels of the same image scaled by `factor`."""
    return tuple(v * factor for v in box)


def from_xywh(xywh):
    """(N, 4) boxes from (N, 4) rows of (x, y, width, height), rounded to whole pixels."""
    xywh = np.asarray(xywh, dtype=np.float64).reshape(-1, 4)
    x, y, w, h = xywh.T
    return np.stack([y, x + w, y + h, x], axis=1).round().astype(np.int64)


def clamped(boxes, width, height):
    """(N, 4) int boxes clipped to an image of width x height."""
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, height)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, width)
    return boxes


def around(box, image_width, image_height, margin_x, margin_y):
    """The box grown by fixed margins on each side, clamped to the image (a portrait's region)."""
    top, right, bottom, left = box
    return (max(0, top - margin_y), min(image_width, right + margin_x),
            min(image_height, bottom + margin_y), max(0, left - margin_x))


def relative_to(box, region):
    """The box in pixels of `region` (a box of the same image), as when the region is cropped out."""
    top, right, bottom, left = box
    r_top, _, _, r_left = region
    return top - r_top, right - r_left, bottom - r_top, left - r_left


def to_yolo(box, image_width, image_height):
    """(x_center, y_center, width, height) of a box, each normalized to the image (YOLO's convention)."""
    top, right, bottom, left = box
    return ((left + right) / 2 / image_width, (top + bottom) / 2 / image_height,
            (right - left) / image_width, (bottom - top) / image_height)


def from_yolo(x_center, y_center, width, height, image_width, image_height):
    """The box, in pixels of an image of that size, of normalized YOLO numbers."""
    half_w, half_h = width * image_width / 2, height * image_height / 2
    cx, cy = x_center * image_width, y_center * image_height
    return cy - half_h, cx + half_w, cy + half_h, cx - half_w
