"""`main.py export`: from the folders a human reviewed to a YOLO training set.

One dataset that both trainers read:
    Ultralytics: images/{train,val}/*.jpg, labels/{train,val}/*.txt, data.yaml
    Darknet:     obj.names, obj.data, train.txt, valid.txt (beside it)
Each label file holds one line per face in that frame, normalized to the frame.
"""

import json
import math
import os
import random
import shutil
from collections import Counter, defaultdict

from .errors import UserError
from .files import write_text
from .frames import read_index
from .workfolder import CLUSTERED, DATASET, FRAMES
from .clustered import is_named, is_person_folder, read_labels, row_box
from .review import write_review_page
from .words import plural
from .yolo import yolo_box

FORMATS = ("darknet", "ultralytics")
MANIFEST = ".export-manifest.json"
CLASSES = "classes.txt"
UNKNOWN = "unknown_face"


def class_of(folder, include_unnamed):
    """The class name a face in `folder` takes, or None when it has no class."""
    if folder is None:
        return None
    if is_named(folder):
        return folder
    if include_unnamed:
        return folder if is_person_folder(folder) else UNKNOWN
    return None


def stable_class_ids(out, names):
    """Existing names keep their ids (the order of classes.txt, which the user may edit); new names are appended."""
    order = []
    path = os.path.join(out, CLASSES)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            order = [line.strip() for line in f if line.strip()]
    order += sorted(set(names) - set(order))
    return order


def split_blocks(frames, val, block_seconds, seed):
    """Frame path -> 'train' or 'val', whole blocks of video time at once (image input: each image a block)."""
    blocks = defaultdict(list)
    for frame in frames:
        if frame["timestamp"]:
            key = (frame["video"], int(float(frame["timestamp"]) // block_seconds))
        else:
            key = (frame["video"], frame["frame_path"])
        blocks[key].append(frame["frame_path"])
    keys = sorted(blocks)
    random.Random(seed).shuffle(keys)
    val_blocks = set(keys[: math.ceil(val * len(keys))]) if val > 0 and len(keys) > 1 else set()
    return {path: ("val" if key in val_blocks else "train") for key in keys for path in blocks[key]}, blocks, val_blocks


def export(workdir=".", clustered=CLUSTERED, out=DATASET, val=0.2, include_unnamed=False,
           formats=FORMATS, negatives=0.1, block_seconds=10.0, seed=0):
    """Write the dataset; return the lines of a report for the user."""
    clustered_path = clustered if os.path.isabs(clustered) else os.path.join(workdir, clustered)
    out_path = out if os.path.isabs(out) else os.path.join(workdir, out)
    state = read_labels(clustered_path)
    index = read_index(workdir)
    owned = _check_out_folder(out_path)
    report = []

    faces_by_frame = defaultdict(list)
    for row in state.rows:
        face_id = int(row["face_id"])
        if face_id in state.duplicates:
            continue
        folder = state.folder_of.get(face_id)
        if folder is None:
            continue  # the human deleted its portrait: not a face to learn
        faces_by_frame[row["frame_path"]].append((row, class_of(folder, include_unnamed)))

    with_faces, dropped, thanks_to_unnamed = [], 0, 0
    for frame in index:
        faces = faces_by_frame.get(frame["frame_path"], [])
        if not faces:
            continue
        if any(name is None for _, name in faces):
            dropped += 1  # an unlabeled face would be taught as background
            continue
        with_faces.append(frame)
        if include_unnamed and any(class_of(state.folder_of[int(row["face_id"])], False) is None for row, _ in faces):
            thanks_to_unnamed += 1
    empty = [f for f in index if f["frame_path"] not in faces_by_frame]
    keep_negatives = min(len(empty), int(negatives * len(with_faces) / max(1e-9, 1 - negatives))) if negatives > 0 else 0
    chosen_negatives = [empty[round(i * len(empty) / keep_negatives)] for i in range(keep_negatives)] if keep_negatives else []

    names = stable_class_ids(out_path, {name for frame in with_faces for _, name in faces_by_frame[frame["frame_path"]]})
    ids = {name: i for i, name in enumerate(names)}
    frames = sorted(with_faces + chosen_negatives, key=lambda f: index.index(f))
    split, blocks, val_blocks = split_blocks(frames, val, block_seconds, seed)

    written = {}
    for frame in frames:
        subset = split[frame["frame_path"]]
        stem = frame["frame_path"].removeprefix(FRAMES + "/").removesuffix(".jpg").replace("/", "_")
        image = f"images/{subset}/{stem}.jpg"
        lines = [
            yolo_box(ids[name], row_box(row),
                     int(frame["width"]), int(frame["height"])).line()
            for row, name in faces_by_frame.get(frame["frame_path"], [])
        ]
        source = os.path.join(workdir, frame["frame_path"])
        if not os.path.exists(source):
            raise UserError(f"{source} is missing; the dataset's images are copied from Frames/, so rerun main.py first.")
        written[image] = ("copy", source)
        written[f"labels/{subset}/{stem}.txt"] = ("text", "".join(line + "\n" for line in lines))

    train = [p for p in written if p.startswith("images/train/")]
    valid = [p for p in written if p.startswith("images/val/")]
    absolute = os.path.abspath(out_path)
    written[CLASSES] = ("text", "".join(n + "\n" for n in names))
    if "ultralytics" in formats:
        yaml_names = "".join(f"  {i}: {json.dumps(n)}\n" for i, n in enumerate(names))
        written["data.yaml"] = ("text", f"path: {json.dumps(absolute)}\ntrain: images/train\nval: images/val\nnames:\n{yaml_names}")
    if "darknet" in formats:
        written["obj.names"] = ("text", "".join(n + "\n" for n in names))
        written["train.txt"] = ("text", "".join(os.path.join(absolute, p) + "\n" for p in train))
        written["valid.txt"] = ("text", "".join(os.path.join(absolute, p) + "\n" for p in valid))
        written["obj.data"] = ("text", f"classes = {len(names)}\ntrain = {os.path.join(absolute, 'train.txt')}\n"
                                       f"valid = {os.path.join(absolute, 'valid.txt')}\nnames = {os.path.join(absolute, 'obj.names')}\n"
                                       f"backup = {os.path.join(absolute, 'backup')}\n")
    _write_dataset(out_path, written, owned)
    write_review_page(clustered_path)

    counts = Counter(name for frame in with_faces for _, name in faces_by_frame[frame["frame_path"]])
    report.append(f"Wrote {len(frames)} images ({len(train)} train, {len(valid)} val; "
                  f"{len(val_blocks)} of {len(blocks)} time blocks in val) to {out_path}/.")
    report.append("Classes: " + ", ".join(f"{ids[n]} {n} ({counts.get(n, 0)} faces)" for n in names) + ".")
    report.append(f"{plural(len(chosen_negatives), 'frame')} with no face kept as negatives, of {len(empty)}.")
    if dropped:
        report.append(f"{plural(dropped, 'frame was', 'frames were')} left out because a face in them has no class "
                      "here (--include-unnamed keeps them).")
    if thanks_to_unnamed:
        report.append(f"{plural(thanks_to_unnamed, 'frame is', 'frames are')} in only because of --include-unnamed "
                      "(--named-only would leave them out).")
    if state.deleted():
        report.append(f"{len(state.deleted())} faces whose portraits you deleted are not in the dataset.")
    if state.duplicates:
        report.append(f"{len(state.duplicates)} portraits are in more than one folder and were not used: "
                      + ", ".join(f"face_{i}.jpg in {' and '.join(f)}" for i, f in sorted(state.duplicates.items())[:5]) + ".")
    if state.strays:
        report.append(f"{len(state.strays)} files in {clustered_path} are not portraits this program wrote and were not used: "
                      + ", ".join(state.strays[:5]) + ("." if len(state.strays) <= 5 else ", ..."))
    return report


def _check_out_folder(out):
    """The files an earlier export wrote in `out`; refuse a folder that export did not make."""
    manifest = os.path.join(out, MANIFEST)
    if os.path.exists(manifest):
        try:
            with open(manifest, encoding="utf-8") as f:
                return set(json.load(f)["files"])
        except (OSError, ValueError, KeyError, TypeError):
            raise UserError(f"{manifest} is damaged; move {out} aside and export again.") from None
    if os.path.isdir(out) and os.listdir(out):
        raise UserError(f"{out} already exists and was not written by export; choose another --out.")
    return set()


def _write_dataset(out, written, owned):
    """Write our files (atomically each), remove the ones an earlier export wrote that are no longer part of it."""
    for relative in written:
        target = os.path.join(out, relative)
        if relative not in owned and os.path.exists(target):
            raise UserError(f"{target} exists and is not a file export wrote; move it and export again.")
    for relative, (kind, content) in written.items():
        target = os.path.join(out, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if kind == "copy":
            temporary = target + ".tmp"
            shutil.copyfile(content, temporary)
            os.replace(temporary, target)
        else:
            write_text(target, content)
    for relative in sorted(owned - set(written)):
        try:
            os.unlink(os.path.join(out, relative))
        except FileNotFoundError:
            pass
    write_text(os.path.join(out, MANIFEST), json.dumps({"files": sorted(written)}, indent=1))
