"""New footage joins a ClusteredFaces/ that a human has already worked on.

Nothing the human did is undone: their portraits stay where they put them,
and the new faces are added beside them. Every labeled face (a portrait in a
person's folder, or in an ignored `_` folder) anchors that folder: a new face
that clusters with anchors goes to the folder most of them are in, so a person
named alice stays alice, and a person put in `_crew` stays ignored.
New faces that cluster only with each other get new Face_<n> folders.
"""

import os
from collections import Counter

from ..clustering.algorithms import UNCLUSTERED
from ..clustering.people import assign_people, encoder_of
from ..clustering.tracks import link_tracks
from ..common.workfolder import WorkFolder
from ..output.clustered import (
    LOW_QUALITY_FOLDER,
    FACE_FILE,
    UNCLUSTERED_FOLDER,
    add_to_edited,
    face_row,
    free_person_number,
    gathers_new_faces,
    person_folder,
    portrait_path,
    read_labels,
    row_box,
)
from ..output.portraits import FaceImageGenerator
from .page import write_review_page


def add_new_faces(table, settings, progress=True):
    """Add the FaceTable's new faces to the edited ClusteredFaces/; return a one-line summary.

    The table holds every face of the work folder: those already in faces.csv (found by frame and box)
    and the new ones. The labeled faces among the first anchor their folders.
    """
    workdir = settings.workdir
    clustered = WorkFolder(workdir).clustered
    state = read_labels(clustered)
    known = {(r["frame_path"], row_box(r)): r for r in state.rows}
    rows_of = [known.get((table.frame_of(i).frame_path, table.box(i))) for i in range(len(table))]
    new = [i for i, row in enumerate(rows_of) if row is None]
    if not new:
        return f"No new faces; {clustered}/ keeps your edits as they are."

    anchors, anchor_folders = [], []
    for i, row in enumerate(rows_of):
        folder = state.folder_of.get(row["face_id"]) if row else None
        if folder is not None and gathers_new_faces(folder):
            anchors.append(i)
            anchor_folders.append((folder, row["cluster"]))
    new_tracks = link_tracks(table, encoder_of(table).track_distance)
    tracks = list(range(len(anchors))) + [len(anchors) + new_tracks[i] for i in new]
    assignment = assign_people(table.take(anchors + new), settings.clustering, workdir, tracks=tracks)
    anchored = len(anchors)

    votes = {}
    for label, (folder, cluster) in zip(assignment.clusters[:anchored].tolist(), anchor_folders):
        if label != UNCLUSTERED:
            votes.setdefault(label, Counter())[(folder, cluster)] += 1
    next_cluster = free_person_number(clustered, state.rows)
    taken = taken_face_ids(clustered) | {r["face_id"] for r in state.rows}
    next_id = max(taken, default=-1) + 1
    track_offset = max((r["track"] for r in state.rows if r["track"] is not None), default=-1) + 1
    placed, new_clusters, paths, rows = Counter(), {}, {}, []
    for position, i in enumerate(new):
        label = int(assignment.clusters[anchored + position])
        rejected = assignment.rejected[anchored + position]
        if rejected:
            folder, cluster = LOW_QUALITY_FOLDER, UNCLUSTERED
        elif label == UNCLUSTERED:
            folder, cluster = UNCLUSTERED_FOLDER, UNCLUSTERED
        elif label in votes:
            folder, cluster = votes[label].most_common(1)[0][0]
        else:
            if label not in new_clusters:
                new_clusters[label] = next_cluster
                next_cluster += 1
            cluster = new_clusters[label]
            folder = person_folder(cluster)
        placed[folder] += 1
        paths[i] = portrait_path(folder, next_id)
        rows.append(face_row(next_id, cluster, table, i, paths[i], track_offset + new_tracks[i], rejected))
        next_id += 1

    members = {cluster: [i for position, i in enumerate(new) if int(assignment.clusters[anchored + position]) == label]
               for label, cluster in new_clusters.items()}
    add_to_edited(clustered, table, paths, state.rows + rows, members, FaceImageGenerator(progress=progress), workdir)
    write_review_page(clustered)
    joined = ", ".join(f"{folder}: {n}" for folder, n in sorted(placed.items()))
    return f"Added {len(new)} new faces to {clustered}/, which keeps your edits ({joined})."


def taken_face_ids(clustered):
    """Every id n for which a file face_<n>.jpg or .txt lies anywhere in `clustered`: new faces never take one,
    so a file a person put there is never written over."""
    taken = set()
    for _, _, files in os.walk(clustered):
        for name in files:
            match = FACE_FILE.match(name)
            if match:
                taken.add(int(match.group(1)))
    return taken
