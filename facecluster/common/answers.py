"""review-answers.json: what a person answered in the review app that the folders alone cannot say.

    {"format": 1, "different": [{"first": [FACE, ...], "second": [FACE, ...]}, ...]}
    FACE = [frame_path, top, right, bottom, left]

A "different people" answer names the faces of both sides at the time of the
answer, by frame and box (not by face id: ids are renumbered when `cluster
--force` writes a new ClusteredFaces/), so it holds for incremental runs and
for clustering again alike: no cluster ever joins faces of both sides.
"""

import json

from .errors import UserError
from .files import write_text
from .workfolder import WorkFolder


def face_key(frame_path, box):
    return (frame_path, *map(int, box))


def read_different(workdir):
    """[(set of face keys, set of face keys)]: each pair of sides a person said are different people."""
    path = WorkFolder(workdir).answers
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return [({face_key(k[0], k[1:]) for k in a["first"]}, {face_key(k[0], k[1:]) for k in a["second"]})
                for a in data["different"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise UserError(f"{path} is damaged ({error}); move it aside (your folders are not affected) and run again.") from None


def write_different(workdir, answers):
    """Record `answers` (as read_different returns them), atomically."""
    records = [{"first": sorted(map(list, first)), "second": sorted(map(list, second))} for first, second in answers]
    write_text(WorkFolder(workdir).answers, json.dumps({"format": 1, "different": records}, indent=1) + "\n")


def cannot_link(workdir, table):
    """The answers as (first rows, second rows) of a FaceTable, for FaceClusterUtility.cluster."""
    answers = read_different(workdir)
    if not answers:
        return []
    row_of = {face_key(table.frame_of(i).frame_path, table.box(i)): i for i in range(len(table))}
    found = []
    for first, second in answers:
        a = [row_of[k] for k in first if k in row_of]
        b = [row_of[k] for k in second if k in row_of]
        if a and b:
            found.append((a, b))
    return found
