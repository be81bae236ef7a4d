"""Render synthetic footage from portrait photos, with the ground truth of who is where.

Used by render_footage.py (the shipped Footage.mp4) and by the tests, which
build videos from the photos in tests/data at test time.
"""

from dataclasses import dataclass

import cv2
import face_recognition
import numpy as np

NTSC_FPS = 30000 / 1001
MARKER_BITS = 14


@dataclass
class Sprite:
    """A crop of a photo around one face, scaled so the face is a chosen width."""

    person: str
    image: np.ndarray  # BGR
    face: tuple  # (top, right, bottom, left) of the face inside `image`


@dataclass
class Appearance:
    """A sprite on screen from `start` to `end` seconds, gliding from `origin` to `destination` (top-left corners)."""

    sprite: Sprite
    start: float
    end: float
    origin: tuple
    destination: tuple

    def position(self, t):
        """Top-left corner at time t, or None when off screen."""
        if not self.start <= t < self.end:
            return None
        a = (t - self.start) / max(1e-9, self.end - self.start)
        return tuple(round(o + (d - o) * a) for o, d in zip(self.origin, self.destination))

    def face_at(self, t):
        """The face's (top, right, bottom, left) in the video frame at time t, or None."""
        where = self.position(t)
        if where is None:
            return None
        x, y = where
        top, right, bottom, left = self.sprite.face
        return top + y, right + x, bottom + y, left + x


def make_sprite(person, photo_bgr, face_width=90, margin=0.5):
    """Find the (largest) face in a photo and crop around it (margin: share of the face size on each side)."""
    small_scale = min(1.0, 600 / max(photo_bgr.shape[:2]))
    small = cv2.resize(photo_bgr, None, fx=small_scale, fy=small_scale, interpolation=cv2.INTER_AREA)
    boxes = face_recognition.face_locations(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), 1, "hog")
    if not boxes:
        raise ValueError(f"no face found in the photo of {person}")
    largest = max(boxes, key=lambda b: (b[1] - b[3]) * (b[2] - b[0]))
    top, right, bottom, left = (v / small_scale for v in largest)
    size = max(right - left, bottom - top)
    crop_top, crop_left = max(0, int(top - margin * size)), max(0, int(left - margin * size))
    crop_bottom = min(photo_bgr.shape[0], int(bottom + margin * size))
    crop_right = min(photo_bgr.shape[1], int(right + margin * size))
    scale = face_width / (right - left)
    crop = photo_bgr[crop_top:crop_bottom, crop_left:crop_right]
    image = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    face = tuple(round(v * scale) for v in (top - crop_top, right - crop_left, bottom - crop_top, left - crop_left))
    return Sprite(person, image, face)


def background(width, height, seed=0):
    """A soft gradient with a few blurred shapes: texture for the encoder, no faces."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([60 + 80 * x / width, 90 + 60 * y / height, 120 + 40 * (x + y) / (width + height)], axis=-1)
    image = image.astype(np.uint8)
    for _ in range(12):
        colour = tuple(int(c) for c in rng.integers(40, 200, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(image, centre, int(rng.integers(10, height // 4)), colour, -1)
    return cv2.GaussianBlur(image, (0, 0), 3)


def draw_marker(frame, number, block=16):
    """Write `number` as MARKER_BITS black/white blocks along the bottom-left edge."""
    height = frame.shape[0]
    for bit in range(MARKER_BITS):
        value = 255 if (number >> bit) & 1 else 0
        frame[height - block: height, bit * block: (bit + 1) * block] = value


def read_marker(frame, block):
    """The number draw_marker wrote, from a frame scaled so one block is `block` pixels wide."""
    height = frame.shape[0]
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    number = 0
    for bit in range(MARKER_BITS):
        x0, x1 = round(bit * block + block * 0.3), round((bit + 1) * block - block * 0.3)
        y0, y1 = round(height - block * 0.7), round(height - block * 0.3)
        if gray[y0:y1, x0:x1].mean() > 127:
            number |= 1 << bit
    return number


def render_video(path, appearances, duration, size=(640, 360), fps=NTSC_FPS, marker=False, seed=0):
    """Write an MPEG-4 video of the appearances over a background; return its frame count."""
    width, height = size
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {path}")
    scenery = background(width, height, seed)
    count = int(round(duration * fps))
    for index in range(count):
        t = index / fps
        frame = scenery.copy()
        for appearance in appearances:
            where = appearance.position(t)
            if where is not None:
                paste(frame, appearance.sprite.image, where)
        if marker:
            draw_marker(frame, index)
        writer.write(frame)
    writer.release()
    return count


def paste(frame, image, where):
    x, y = where
    h, w = image.shape[:2]
    H, W = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 < x1 and y0 < y1:
        frame[y0:y1, x0:x1] = image[y0 - y: y1 - y, x0 - x: x1 - x]


def truth_json(video_name, appearances, frame_count, size, fps=NTSC_FPS):
    """The faces on screen in every frame, in `main.py evaluate --truth` JSON form."""
    faces = []
    for index in range(frame_count):
        for appearance in appearances:
            box = appearance.face_at(index / fps)
            if box is not None:
                faces.append({"video": video_name, "frame_index": index, "person": appearance.sprite.person, "box": list(box)})
    return {"videos": {video_name: {"width": size[0], "height": size[1]}}, "faces": faces}
