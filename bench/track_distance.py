"""The encoder distance between faces whose boxes overlap in consecutive sampled frames: one person, or two.

    .venv/bin/python bench/track_distance.py WORK_FOLDER TRUTH_JSON

WORK_FOLDER is a finished run on a video with a per-frame truth file (evaluate's format), e.g. the ten-people
video and Footage.mp4 work folders bench/cluster_quality.py leaves. The encoder's track distance must sit
between the two: above every same-person pair, below every pair of two people.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from facecluster.common.boxes import iou, overlap, scaled  # noqa: E402
from facecluster.encoding.datastore import load_collated  # noqa: E402
from facecluster.review.evaluate import MATCH_IOU  # noqa: E402


def main(workdir, truth):
    table = load_collated(os.path.join(workdir, "encodings.pickle"))
    with open(truth, encoding="utf-8") as f:
        data = json.load(f)
    faces = {}
    for face in data["faces"]:
        faces.setdefault(int(face["frame_index"]), []).append(face)
    source_width = next(iter(data["videos"].values()))["width"]

    def person(i):
        frame = table.frame_of(i)
        scale = frame.width / source_width
        best = max(((iou(scaled(f["box"], scale), table.box(i)), f["person"]) for f in faces.get(frame.frame_index, [])),
                   default=(0.0, None))
        return best[1] if best[0] >= MATCH_IOU else None

    same, different = [], []
    by_frame = table.faces_by_frame()
    for number in range(1, len(table.frames)):
        for a in by_frame.get(number - 1, []):
            for b in by_frame.get(number, []):
                if overlap(table.boxes[a], table.boxes[b]):
                    distance = float(np.linalg.norm(table.encodings[a] - table.encodings[b]))
                    one = person(a) is not None and person(a) == person(b)
                    (same if one else different).append(distance)
    print(f"{table.encoder}: {len(same)} same-person pairs, largest {max(same, default=float('nan')):.3f}; "
          f"{len(different)} pairs of two people, smallest {min(different, default=float('nan')):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
