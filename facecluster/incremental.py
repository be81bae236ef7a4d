"""New footage joins a ClusteredFaces/ that a human has already worked on.

Nothing the human did is undone: their portraits stay where they put them,
and the new faces are added beside them. Every labeled face (a portrait in a
person's folder) anchors that folder: a new face that clusters with anchors
goes to the folder most of them are in, so a person named alice stays alice.
New faces that cluster only with each other get new Face_<n> folders.
"""

import os
import re
from collections import Counter

from .clustering import UNCLUSTERED
from .workfolder import WorkFolder
from .files import write_text
from .labels import is_person_folder, read_labels, row_box
from .people import assign_people, encoder_of
from .portraits import (
    LOW_QUALITY_FOLDER, UNCLUSTERED_FOLDER, FaceImageGenerator, face_row, faces_csv_text, spread_sample,
    write_manifest,
)
from .review import write_review_page
from .tracks import link_tracks

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
        folder = state.folder_of.get(int(row["face_id"])) if row else None
        if folder is not None and is_person_folder(folder):
            anchors.append(i)
            anchor_folders.append((folder, int(row["cluster"])))
    new_tracks = link_tracks(table, encoder_of(table).track_distance)
    tracks = list(range(len(anchors))) + [len(anchors) + new_tracks[i] for i in new]
    assignment = assign_people(table.take(anchors + new), settings, tracks=tracks)
    anchored = len(anchors)

    votes = {}
    for label, (folder, cluster) in zip(assignment.clusters[:anchored].tolist(), anchor_folders):
        if label != UNCLUSTERED:
            votes.setdefault(label, Counter())[(folder, cluster)] += 1
    used = [int(r["cluster"]) for r in state.rows] + [
        int(name[5:]) for name in os.listdir(clustered) if re.fullmatch(r"Face_\d+", name)]
    next_cluster = max(used, default=-1) + 1
    next_id = max((int(r["face_id"]) for r in state.rows), default=-1) + 1
    track_offset = max((int(r["track"]) for r in state.rows if r.get("track", "").isdigit()), default=-1) + 1
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
            folder = f"Face_{cluster}"
        placed[folder] += 1
        paths[i] = f"{folder}/face_{next_id}.jpg"
        rows.append(face_row(next_id, cluster, table, i, paths[i], track_offset + new_tracks[i], rejected))
        next_id += 1

    members = {cluster: [i for position, i in enumerate(new) if int(assignment.clusters[anchored + position]) == label]
               for label, cluster in new_clusters.items()}
    picks = {ids[k] for ids in members.values() for k in spread_sample(len(ids))}
    writer = FaceImageGenerator(progress=progress)
    tiles = writer.write_portraits(table, paths, clustered, workdir, montage_faces=picks)
    for cluster, ids in members.items():
        writer.write_montage(clustered, cluster, [tiles[i] for i in ids if i in tiles])
    write_text(os.path.join(clustered, "faces.csv"), faces_csv_text(state.rows + rows))
    write_review_page(clustered)
    write_manifest(clustered, human_edited=True)
    joined = ", ".join(f"{folder}: {n}" for folder, n in sorted(placed.items()))
    return f"Added {len(new)} new faces to {clustered}/, which keeps your edits ({joined})."
