"""How fast the review app answers on a day's footage: 100,000 faces in 2,000 folders.

    .venv/bin/python bench/review_speed.py [--faces 100000] [--folders 2000] [WORK_FOLDER]

Builds a work folder as a run leaves it (faces.csv, encodings.pickle, one portrait and annotation per face in
its person's folder, the frames), with encodings made from 2,000 random people (a unit centre each, faces
scattered around it at the distances SFace gives one person), then starts `main.py review` and times, over HTTP
as the page asks them: the overview (/api/state) the first time (reading everything) and again (cached), the
first question, a person's faces, one face crop (cut and cached), a move of one face, and the overview after it
(read again, since the folders changed). Portraits are hard links of one small JPEG: the app never reads them.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from facecluster.common.files import csv_text, write_text  # noqa: E402
from facecluster.common.table import FaceTable  # noqa: E402
from facecluster.common.workfolder import WorkFolder  # noqa: E402
from facecluster.encoding.datastore import save_pickle  # noqa: E402
from facecluster.output.clustered import FACES_COLUMNS, manifest, person_folder  # noqa: E402
from facecluster.sampling.frames import Frame  # noqa: E402
from tools.review_client import call, review_app, token_of  # noqa: E402

FACES_PER_FRAME = 2


def link(source, target):
    """A hard link of `source` (a fresh copy once a file system's limit of links to one file is reached)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy(source, target)


def build(workdir, faces, folders, seed=0):
    rng = np.random.default_rng(seed)
    folder = WorkFolder(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(os.path.join(folder.frames, "day"))
    centres = rng.normal(size=(folders, 128))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    person = np.sort(rng.integers(0, folders, faces))
    encodings = centres[person] + rng.normal(scale=0.045, size=(faces, 128))  # one person's faces ~0.6 apart
    encodings /= np.linalg.norm(encodings, axis=1, keepdims=True)
    frame_count = faces // FACES_PER_FRAME
    image = np.full((360, 640, 3), 90, dtype=np.uint8)
    cv2.imwrite(os.path.join(folder.frames, "day", "frame_000001.jpg"), image)
    frames = []
    for n in range(frame_count):
        path = f"Frames/day/frame_{n + 1:06d}.jpg"
        if n:
            link(os.path.join(workdir, "Frames/day/frame_000001.jpg"), os.path.join(workdir, path))
        frames.append(Frame(f"day_{n + 1:06d}", "day.mp4", n * 30, float(n), path, 640, 360))
    boxes = [(60, 200 + 300 * (i % 2), 180, 100 + 300 * (i % 2)) for i in range(faces)]
    table = FaceTable(frames=frames, frame=np.arange(faces) // FACES_PER_FRAME, boxes=boxes, encodings=encodings,
                      scores=np.full(faces, 0.9), sharpness=np.full(faces, 100.0), encoder="sface")
    save_pickle(folder.collated, table.to_record())
    clustered = folder.clustered
    rows = []
    for i in range(faces):
        name = person_folder(int(person[i]))
        os.makedirs(os.path.join(clustered, name), exist_ok=True)
        if i % 50_000 == 0:  # a file system allows some 65,000 links to one file
            portrait = os.path.join(workdir, f"portrait_{i}.jpg")
            cv2.imwrite(portrait, image[:100, :100])
        link(portrait, os.path.join(clustered, name, f"face_{i}.jpg"))
        write_text(os.path.join(clustered, name, f"face_{i}.txt"), "0 0.5 0.5 0.3 0.4\n")
        frame = frames[i // FACES_PER_FRAME]
        top, right, bottom, left = boxes[i]
        rows.append({"face_id": i, "cluster": int(person[i]), "video": "day.mp4", "frame_index": frame.frame_index,
                     "timestamp": f"{frame.timestamp:.3f}", "frame_path": frame.frame_path, "frame_width": 640,
                     "frame_height": 360, "top": top, "right": right, "bottom": bottom, "left": left,
                     "portrait_path": f"{name}/face_{i}.jpg", "track": i, "quality": ""})
    write_text(os.path.join(clustered, "faces.csv"), csv_text(rows, FACES_COLUMNS))
    manifest.write(os.path.join(clustered, ".manifest.json"), {}, human_edited=True)


def timed(label, url, path, body=None, token=None):
    start = time.perf_counter()
    status, reply = call(url, path, body, token)
    seconds = time.perf_counter() - start
    assert status == 200, (path, reply)
    print(f"  {label:42s} {seconds:6.3f} s")
    return reply


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", nargs="?", default="/tmp/review_speed")
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=2_000)
    args = parser.parse_args()
    start = time.perf_counter()
    build(args.workdir, args.faces, args.folders)
    print(f"Built {args.faces} faces in {args.folders} folders in {time.perf_counter() - start:.0f} s; timing the app:")
    with review_app(args.workdir) as url:
        token = token_of(url)
        state = timed("overview, first (reads everything)", url, "/api/state")
        timed("overview again (cached)", url, "/api/state")
        timed("the first 'same person?' question", url, "/api/question")
        person = state["people"][0]
        faces = timed(f"a person's faces ({person['count']})", url, f"/api/folder/{person['id']}")["faces"]
        timed("one face crop (cut from its frame, cached)", url, f"/faces/{faces[0]['id']}.jpg")
        timed("move one face to another person", url, "/api/move",
              {"faces": [faces[0]["id"]], "to": state["people"][1]["id"]}, token)
        timed("overview after the move (read again)", url, "/api/state")
        print(f"  overview: {len(state['people'])} folders, {len(str(state)) // 1024} KiB of JSON; images load as "
              "they scroll into view (loading=lazy)")


if __name__ == "__main__":
    main()
