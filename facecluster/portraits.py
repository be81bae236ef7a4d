"""Stage 5: portraits per person, their YOLO annotations, montages and faces.csv.

Everything is written into a staging folder first and swapped in at the end,
so ClusteredFaces/ is always either the previous complete result or the new one.
"""

import glob
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from imutils import build_montages
from tqdm import tqdm

from . import boxes
from .clustering import UNCLUSTERED
from .errors import UserError
from .files import csv_text, write_image, write_text
from .review import write_review_page
from .workfolder import WorkFolder
from .yolo import yolo_box

UNCLUSTERED_FOLDER = "Unclustered"
LOW_QUALITY_FOLDER = "LowQuality"
MONTAGE_FOLDER = "Montage"
MANIFEST_NAME = ".manifest.json"
REVIEW_PAGE = "index.html"
MONTAGE_TILE = (96, 120)  # width, height of one face in a 5x5 montage
FACE_CLASS = 0  # portraits are annotated for a one-class "face" detector
FACES_COLUMNS = [
    "face_id", "cluster", "video", "frame_index", "timestamp", "frame_path", "frame_width", "frame_height",
    "top", "right", "bottom", "left", "portrait_path", "track", "quality",
]


def cluster_folder(cluster, rejected=""):
    if rejected:
        return LOW_QUALITY_FOLDER
    return UNCLUSTERED_FOLDER if cluster == UNCLUSTERED else f"Face_{cluster}"


def resize_to_width(image, width):
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC)


def spread_sample(count, most=25):
    """Up to `most` indexes spread evenly over range(count), first and last included."""
    if count <= most:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, most).round().astype(int).tolist()))


def is_edited(folder):
    """True if a human has worked on `folder`: it differs from what this program last wrote, or did before."""
    try:
        with open(os.path.join(folder, MANIFEST_NAME), encoding="utf-8") as f:
            written = json.load(f)
        return bool(written["human_edited"]) or written["files"] != _listing(folder)
    except (OSError, ValueError, KeyError, TypeError):
        return True


def write_manifest(folder, human_edited):
    """Record what `folder` holds now; once a human has edited it, it stays marked as theirs."""
    manifest = {"human_edited": human_edited, "files": _listing(folder)}
    write_text(os.path.join(folder, MANIFEST_NAME), json.dumps(manifest, indent=1, sort_keys=True))


def _listing(folder):
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            if root != folder or name not in (MANIFEST_NAME, REVIEW_PAGE):  # files we rewrite ourselves
                path = os.path.join(root, name)
                found[os.path.relpath(path, folder).replace(os.sep, "/")] = os.path.getsize(path)
    return found


def check_replaceable(folder, force):
    """Refuse before any work if `folder` holds a human's edits and --force was not given."""
    if os.path.exists(folder) and is_edited(folder) and not force:
        raise UserError(
            f"{folder} has changed since this program wrote it (renamed, moved or deleted portraits?); "
            "rerun with --force to move it aside (nothing is deleted), or use another --workdir."
        )


def replace_folder(staging, folder):
    """Swap `staging` in as `folder`. An old folder a human edited is moved aside, never deleted.

    The old folder is renamed away before the new one is renamed in, and only
    then is an unedited one removed, so a run killed at any point leaves a
    whole folder under one of the two names.
    """
    if os.path.exists(folder):
        edited = is_edited(folder)
        aside = f"{folder}.old-{time.strftime('%Y%m%d-%H%M%S')}" if edited else f"{folder}.replaced-{os.getpid()}"
        os.rename(folder, aside)
        os.rename(staging, folder)
        if edited:
            print(f"Moved the edited {folder} aside to {aside}.")
        else:
            shutil.rmtree(aside)
    else:
        os.rename(staging, folder)


def remove_stale_staging(folder):
    """Remove what killed runs left half-written: staging folders and unedited old results, never an edited one."""
    for leftover in glob.glob(f"{glob.escape(folder)}.partial-*") + glob.glob(f"{glob.escape(folder)}.replaced-*"):
        shutil.rmtree(leftover, ignore_errors=True)


class FaceImageGenerator:
    """Writes ClusteredFaces/: Face_<id>/face_<n>.jpg + .txt, Unclustered/, LowQuality/, Montage/, faces.csv.

    n is the face's id in faces.csv, unique in the whole folder, so a portrait
    keeps its name wherever a human moves it.

    portrait_width: width in pixels every portrait is resized to.
    margin_x, margin_y: pixels of the frame kept on each side of a face.
    """

    def __init__(self, portrait_width=400, margin_x=100, margin_y=150, progress=True):
        self.portrait_width = portrait_width
        self.margin_x = margin_x
        self.margin_y = margin_y
        self.progress = progress

    def generate(self, table, assignment, workdir=".", force=False):
        """Write the folder for a FaceTable's faces as `assignment` (people.Assignment) groups them; return faces.csv rows."""
        folder = WorkFolder(workdir).clustered
        check_replaceable(folder, force)
        remove_stale_staging(folder)
        staging = f"{folder}.partial-{os.getpid()}"
        os.makedirs(os.path.join(staging, MONTAGE_FOLDER))
        clusters = assignment.clusters.tolist()
        paths = {i: f"{cluster_folder(c, assignment.rejected[i])}/face_{i}.jpg" for i, c in enumerate(clusters)}
        members = {}
        for i, cluster in enumerate(clusters):
            if cluster != UNCLUSTERED and not assignment.rejected[i]:
                members.setdefault(cluster, []).append(i)
        picks = {i for ids in members.values() for i in (ids[k] for k in spread_sample(len(ids)))}
        tiles = self.write_portraits(table, paths, staging, workdir, picks)
        for cluster, ids in members.items():
            self.write_montage(staging, cluster, [tiles[i] for i in ids if i in tiles])
        rows = [
            face_row(i, clusters[i], table, i, paths[i], assignment.tracks[i], assignment.rejected[i])
            for i in range(len(clusters))
        ]
        write_text(os.path.join(staging, "faces.csv"), faces_csv_text(rows))
        write_text(os.path.join(staging, "classes.txt"), "face\n")
        write_review_page(staging)
        write_manifest(staging, human_edited=False)
        replace_folder(staging, folder)
        return rows

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
                portrait = self._write_portrait(base, paths[i], image, table.box(i))
                if i in montage_faces:
                    tiles[i] = cv2.resize(portrait, MONTAGE_TILE, interpolation=cv2.INTER_AREA)
                bar.update()

        # OpenCV's decoding, resizing and encoding and the file writes release the GIL: a thread per core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for done in pool.map(write_frame, sorted(by_frame)):
                pass
        bar.close()
        return tiles

    def write_montage(self, base, cluster, tiles):
        if tiles:
            montage = build_montages(tiles, MONTAGE_TILE, (5, 5))[0]
            os.makedirs(os.path.join(base, MONTAGE_FOLDER), exist_ok=True)
            write_image(os.path.join(base, MONTAGE_FOLDER, f"{cluster_folder(cluster)}.jpg"), montage)

    def _write_portrait(self, base, relative_path, image, box):
        height, width = image.shape[:2]
        crop = boxes.around(box, width, height, self.margin_x, self.margin_y)
        c_top, c_right, c_bottom, c_left = crop
        portrait = resize_to_width(image[c_top:c_bottom, c_left:c_right], self.portrait_width)
        path = os.path.join(base, relative_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_image(path, portrait)
        annotation = yolo_box(FACE_CLASS, boxes.relative_to(box, crop), *boxes.size(crop))
        write_text(os.path.splitext(path)[0] + ".txt", annotation.line() + "\n")
        return portrait


def face_row(face_id, cluster, table, index, portrait_path, track, quality):
    """The faces.csv row of face `index` of a FaceTable."""
    frame = table.frame_of(index)
    top, right, bottom, left = table.box(index)
    return {
        "face_id": face_id, "cluster": cluster, "video": frame.video, "frame_index": frame.frame_index,
        "timestamp": "" if frame.timestamp is None else f"{frame.timestamp:.3f}", "frame_path": frame.frame_path,
        "frame_width": frame.width, "frame_height": frame.height,
        "top": top, "right": right, "bottom": bottom, "left": left, "portrait_path": portrait_path,
        "track": track, "quality": quality,
    }


def faces_csv_text(rows):
    return csv_text(rows, FACES_COLUMNS)
