"""Stage 5: portraits per person, their YOLO annotations, montages and faces.csv.

Everything is written into a staging folder first and swapped in at the end,
so ClusteredFaces/ is always either the previous complete result or the new one.
"""

import csv
import io
import json
import os
import shutil
import time

import cv2
import numpy as np
from imutils import build_montages
from tqdm import tqdm

from .clustering import UNCLUSTERED
from .errors import UserError
from .files import write_image, write_text
from .yolo import yolo_box

CLUSTERED_FOLDER = "ClusteredFaces"
UNCLUSTERED_FOLDER = "Unclustered"
LOW_QUALITY_FOLDER = "LowQuality"
MONTAGE_FOLDER = "Montage"
MANIFEST_NAME = ".manifest.json"
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


def portrait_crop(box, frame_width, frame_height, margin_x=100, margin_y=150):
    """The (top, right, bottom, left) region around a face: fixed margins, clamped to the frame."""
    top, right, bottom, left = box
    return max(0, top - margin_y), min(frame_width, right + margin_x), min(frame_height, bottom + margin_y), max(0, left - margin_x)


def resize_to_width(image, width):
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC)


def spread_sample(count, most=25):
    """Up to `most` indexes spread evenly over range(count), first and last included."""
    if count <= most:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, most).round().astype(int).tolist()))


def is_edited(folder):
    """True if `folder` differs from what this program last wrote there (a human has worked on it)."""
    try:
        with open(os.path.join(folder, MANIFEST_NAME), encoding="utf-8") as f:
            written = json.load(f)
    except (OSError, ValueError):
        return True
    return written != _listing(folder)


def _listing(folder):
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            if name != MANIFEST_NAME:
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
    """Swap `staging` in as `folder`. An old folder a human edited is moved aside, never deleted."""
    if os.path.exists(folder):
        if is_edited(folder):
            aside = f"{folder}.old-{time.strftime('%Y%m%d-%H%M%S')}"
            os.rename(folder, aside)
            print(f"Moved the edited {folder} aside to {aside}.")
        else:
            shutil.rmtree(folder)
    os.rename(staging, folder)


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

    def generate(self, collated, assignment, workdir=".", force=False):
        """Write the folder for `collated` faces as `assignment` (people.Assignment) groups them; return faces.csv rows."""
        folder = os.path.join(workdir, CLUSTERED_FOLDER)
        check_replaceable(folder, force)
        staging = f"{folder}.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(os.path.join(staging, MONTAGE_FOLDER))
        frames, faces = collated["frames"], collated["faces"]

        labels = assignment.clusters
        portrait_paths, montage_picks = self._plan(labels, assignment.rejected)
        tiles = {cluster: [] for cluster in montage_picks if cluster != UNCLUSTERED}
        rows = []
        faces_by_frame = {}
        for face_id, face in enumerate(faces):
            faces_by_frame.setdefault(face["frame"], []).append(face_id)
        bar = tqdm(total=len(faces), desc="Writing portraits", unit="face", disable=not self.progress)
        for frame_number in sorted(faces_by_frame):  # each frame is read from disk once
            frame = frames[frame_number]
            image = cv2.imread(os.path.join(workdir, frame["frame_path"]), cv2.IMREAD_COLOR)
            if image is None:
                raise UserError(f"{frame['frame_path']} is missing or unreadable; rerun without it being moved, or use --fresh.")
            for face_id in faces_by_frame[frame_number]:
                cluster = int(labels[face_id])
                portrait = self._write_portrait(staging, portrait_paths[face_id], image, faces[face_id]["box"])
                if cluster in tiles and face_id in montage_picks[cluster]:
                    tiles[cluster].append((face_id, cv2.resize(portrait, MONTAGE_TILE, interpolation=cv2.INTER_AREA)))
                rows.append(_csv_row(face_id, cluster, frame, faces[face_id]["box"], portrait_paths[face_id],
                                     assignment.tracks[face_id], assignment.rejected[face_id]))
                bar.update()
        bar.close()

        for cluster, picked in tiles.items():
            if picked:
                montage = build_montages([p for _, p in sorted(picked, key=lambda t: t[0])], MONTAGE_TILE, (5, 5))[0]
                write_image(os.path.join(staging, MONTAGE_FOLDER, f"{cluster_folder(cluster)}.jpg"), montage)
        rows.sort(key=lambda row: row["face_id"])
        write_text(os.path.join(staging, "faces.csv"), _csv_text(rows))
        write_text(os.path.join(staging, "classes.txt"), "face\n")
        write_text(os.path.join(staging, MANIFEST_NAME), json.dumps(_listing(staging), indent=1, sort_keys=True))
        replace_folder(staging, folder)
        return rows

    def _plan(self, labels, rejected):
        """Portrait path per face and the montage's faces (spread over the footage) per cluster."""
        paths, members = {}, {}
        for face_id, cluster in enumerate(labels.tolist()):
            paths[face_id] = f"{cluster_folder(cluster, rejected[face_id])}/face_{face_id}.jpg"
            if not rejected[face_id]:
                members.setdefault(cluster, []).append(face_id)
        picks = {cluster: {ids[i] for i in spread_sample(len(ids))} for cluster, ids in members.items()}
        return paths, picks

    def _write_portrait(self, staging, relative_path, image, box):
        height, width = image.shape[:2]
        crop = portrait_crop(box, width, height, self.margin_x, self.margin_y)
        c_top, c_right, c_bottom, c_left = crop
        portrait = resize_to_width(image[c_top:c_bottom, c_left:c_right], self.portrait_width)
        path = os.path.join(staging, relative_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_image(path, portrait)
        top, right, bottom, left = box
        inside = (top - c_top, right - c_left, bottom - c_top, left - c_left)
        annotation = yolo_box(FACE_CLASS, inside, c_right - c_left, c_bottom - c_top)
        write_text(os.path.splitext(path)[0] + ".txt", annotation.line() + "\n")
        return portrait


def _csv_row(face_id, cluster, frame, box, portrait_path, track, quality):
    top, right, bottom, left = box
    timestamp = frame.get("timestamp")
    return {
        "face_id": face_id, "cluster": cluster, "video": frame["video"], "frame_index": frame["frame_index"],
        "timestamp": "" if timestamp is None else f"{timestamp:.3f}", "frame_path": frame["frame_path"],
        "frame_width": frame["width"], "frame_height": frame["height"],
        "top": top, "right": right, "bottom": bottom, "left": left, "portrait_path": portrait_path,
        "track": track, "quality": quality,
    }


def _csv_text(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FACES_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
