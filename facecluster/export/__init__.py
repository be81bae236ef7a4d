"""`main.py export`: from the folders a person reviewed to a YOLO training set both trainers read.

    select.py       which frames go in, each face's class
    split.py        the train/val split, by blocks of video time
    ultralytics.py  data.yaml                          } the images/ and labels/ folders are shared,
    darknet.py      obj.names, obj.data, train.txt ... }   one label line per face, normalized to the frame
    dataset.py      writing Dataset/, only ever our own files
"""

import os

from ..common.errors import UserError
from ..common.words import plural
from ..common.workfolder import CLUSTERED, DATASET, FRAMES, WorkFolder
from ..common.yolo import yolo_box
from ..output.clustered import read_labels, row_box
from ..sampling.frames import read_index
from . import darknet, dataset, ultralytics
from .select import select
from .split import split_blocks

FORMATS = {"darknet": darknet, "ultralytics": ultralytics}
CLASSES = "classes.txt"


def stable_class_ids(out, names):
    """Existing names keep their ids (the order of classes.txt, which the user may edit); new names are appended."""
    order = []
    path = os.path.join(out, CLASSES)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            order = [line.strip() for line in f if line.strip()]
    return order + sorted(set(names) - set(order))


def export(workdir=".", clustered=CLUSTERED, out=DATASET, val=0.2, include_unnamed=False,
           formats=tuple(FORMATS), negatives=0.1, block_seconds=10.0, seed=0):
    """Write the dataset; return the lines of a report for the user."""
    clustered_path = clustered if os.path.isabs(clustered) else os.path.join(workdir, clustered)
    out_path = out if os.path.isabs(out) else os.path.join(workdir, out)
    state = read_labels(clustered_path)
    identity = WorkFolder(workdir).identity()
    owned = dataset.owned_files(out_path, identity)
    chosen = select(state, read_index(workdir), include_unnamed, negatives)
    if not chosen.counts:
        raise UserError("Nothing to export: no face has a class yet. Name the people you want (python main.py "
                        "review), or give every folder a class with --include-unnamed; nothing was written.")
    if not any(chosen.faces.get(f["frame_path"]) for f in chosen.frames):
        raise UserError(f"Nothing to export: every frame with a named person also holds a face with no class "
                        f"({plural(chosen.dropped, 'frame')} left out); --include-unnamed keeps them, with those "
                        "faces as unknown_face; nothing was written.")
    names = stable_class_ids(out_path, chosen.counts)
    class_id = {name: i for i, name in enumerate(names)}
    side, blocks, val_blocks = split_blocks(chosen.frames, val, block_seconds, seed)

    wanted = {}
    for frame in chosen.frames:
        stem = frame["frame_path"].removeprefix(FRAMES + "/").removesuffix(".jpg").replace("/", "_")
        source = os.path.join(workdir, frame["frame_path"])
        if not os.path.exists(source):
            raise UserError(f"{source} is missing; the dataset's images are copied from Frames/, so rerun main.py first.")
        lines = [yolo_box(class_id[name], row_box(row), int(frame["width"]), int(frame["height"])).line() + "\n"
                 for row, name in chosen.faces.get(frame["frame_path"], [])]
        wanted[f"images/{side[frame['frame_path']]}/{stem}.jpg"] = ("copy", source)
        wanted[f"labels/{side[frame['frame_path']]}/{stem}.txt"] = ("text", "".join(lines))
    train = [p for p in wanted if p.startswith("images/train/")]
    valid = [p for p in wanted if p.startswith("images/val/")]
    wanted[CLASSES] = ("text", "".join(n + "\n" for n in names))
    for name in formats:
        wanted.update({path: ("text", text) for path, text in FORMATS[name].files(names, train, valid).items()})
    dataset.write(out_path, identity, wanted, owned, yours_to_edit={CLASSES})  # classes.txt: its order is yours
    return report(chosen, state, names, out_path, clustered_path, len(train), len(valid), blocks, val_blocks)


def report(chosen, state, names, out_path, clustered_path, train, valid, blocks, val_blocks):
    lines = [f"Wrote {len(chosen.frames)} images ({train} train, {valid} val; "
             f"{val_blocks} of {blocks} time blocks in val) to {out_path}/.",
             "Classes: " + ", ".join(f"{i} {n} ({chosen.counts.get(n, 0)} faces)" for i, n in enumerate(names)) + ".",
             f"{plural(len(chosen.negatives), 'frame')} with no face kept as negatives, of {chosen.without_faces}."]
    if chosen.dropped:
        lines.append(f"{plural(chosen.dropped, 'frame was', 'frames were')} left out because a face in them has no "
                     "class here (--include-unnamed keeps them).")
    if chosen.only_with_unnamed:
        lines.append(f"{plural(chosen.only_with_unnamed, 'frame is', 'frames are')} in only because of "
                     "--include-unnamed (--named-only would leave them out).")
    if state.deleted():
        lines.append(f"{len(state.deleted())} faces whose portraits you deleted are not in the dataset.")
    if state.duplicates:
        lines.append(f"{len(state.duplicates)} portraits are in more than one folder and were not used: "
                     + ", ".join(f"face_{i}.jpg in {' and '.join(f)}" for i, f in sorted(state.duplicates.items())[:5]) + ".")
    if state.strays:
        lines.append(f"{len(state.strays)} files in {clustered_path} are not portraits this program wrote and were not "
                     "used: " + ", ".join(state.strays[:5]) + ("." if len(state.strays) <= 5 else ", ..."))
    return lines
