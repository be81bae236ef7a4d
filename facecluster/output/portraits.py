"""Stage 5: portraits of faces, their YOLO annotations, and montages -- the images only.

Where they go and what is recorded beside them (faces.csv, the manifest, the
folder swap) is the ClusteredFaces layout's business: clustered.py.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from imutils import build_montages
from tqdm import tqdm

from ..common import boxes
from ..common.errors import UserError
from ..common.files import write_image, write_text
from ..common.workfolder import WorkFolder
from ..common.yolo import yolo_box
from .clustered import write_new

TILE = 112  # pixels: a montage tile is the face itself, square, the same size for everyone
TILE_MARGIN = 0.25  # of the face's size, kept around it in a tile
MONTAGE_COLUMNS = 5
FACE_CLASS = 0  # portraits are annotated for a one-class "face" detector


def face_tile(image, box, size=TILE, margin=TILE_MARGIN):
    """The face itself, square, with `margin` of its size around it (black beyond the frame), `size` pixels."""
    top, right, bottom, left = box
    side = int(round(max(right - left, bottom - top) * (1 + 2 * margin)))
    cy, cx = (top + bottom) // 2, (left + right) // 2
    y0, x0 = cy - side // 2, cx - side // 2
    square = np.zeros((side, side, 3), dtype=image.dtype)
    sy0, sx0 = max(0, y0), max(0, x0)
    sy1, sx1 = min(image.shape[0], y0 + side), min(image.shape[1], x0 + side)
    if sy1 > sy0 and sx1 > sx0:
        square[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA if side > size else cv2.INTER_CUBIC)


def resize_to_width(image, width):
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC)


class FaceImageGenerator:
    """Writes ClusteredFaces/: a portrait and a YOLO annotation per face, and a 5x5 montage per person.

    portrait_width: width in pixels every portrait is resized to.
    margin_x, margin_y: pixels of the frame kept on each side of a face.
    """

    def __init__(self, portrait_width=400, margin_x=100, margin_y=150, progress=True):
        self.portrait_width = portrait_width
        self.margin_x = margin_x
        self.margin_y = margin_y
        self.progress = progress

    def generate(self, table, assignment, workdir=".", force=False):
        """Write ClusteredFaces/ for a FaceTable's faces as `assignment` (people.Assignment) groups them.

        Returns the faces.csv rows.
        """
        return write_new(table, assignment, workdir, WorkFolder(workdir).clustered, self, force)

    def write_portraits(self, table, paths, base, workdir=".", montage_faces=()):
        """Write a portrait and its annotation for each face index in `paths` (relative to `base`).

        Each frame is read from disk once. Returns the montage tiles of the faces in montage_faces.
        """
        by_frame = table.faces_by_frame(sorted(paths))
        tiles = {}
        bar = tqdm(total=len(paths), desc="Writing portraits", unit="face", disable=not self.progress)

        def write_frame(number):
            frame_path = table.frames[number].frame_path
            image = cv2.imread(os.path.join(workdir, frame_path), cv2.IMREAD_COLOR)
            if image is None:
                raise UserError(f"{frame_path} is missing or unreadable; rerun without it being moved, or use --fresh.")
            for i in by_frame[number]:
                self._write_portrait(os.path.join(base, paths[i]), image, table.box(i))
                if i in montage_faces:
                    tiles[i] = face_tile(image, table.box(i))
                bar.update()

        # OpenCV's decoding, resizing and encoding and the file writes release the GIL: a thread per core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for _ in pool.map(write_frame, sorted(by_frame)):
                pass
        bar.close()
        return tiles

    def write_montage(self, path, tiles):
        """A montage of up to 25 face tiles, 5 to a row, with as many rows as they fill, at `path`."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shape = (min(MONTAGE_COLUMNS, len(tiles)), math.ceil(len(tiles) / MONTAGE_COLUMNS))
        write_image(path, build_montages(tiles, (TILE, TILE), shape)[0])

    def write_tile(self, path, tile):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_image(path, tile)

    def _write_portrait(self, path, image, box):
        height, width = image.shape[:2]
        region = boxes.around(box, width, height, self.margin_x, self.margin_y)
        top, right, bottom, left = region
        portrait = resize_to_width(image[top:bottom, left:right], self.portrait_width)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_image(path, portrait)
        annotation = yolo_box(FACE_CLASS, boxes.relative_to(box, region), *boxes.size(region))
        write_text(os.path.splitext(path)[0] + ".txt", annotation.line() + "\n")
        return portrait
