"""Tracks: the same face followed from one sampled frame to the next.

At one frame per second a person standing in view is seen again a second
later close to where they were. Faces in consecutive sampled frames of one
video whose boxes overlap and whose encodings are close are linked into a
track, and clustering then decides per track, so one odd encoding in the
middle of a track cannot send that face to another folder.
"""

import numpy as np

from .boxes import overlap


def link_tracks(frames, faces, max_distance=0.4):
    """One track id per face (0, 1, ...). Only video frames sampled one after the other are linked.

    frames: the collated frame dicts, in sampling order.
    faces: the collated face dicts (`frame`, `box`, `encoding`).
    max_distance: largest encoding distance between two linked faces.
    """
    track = list(range(len(faces)))
    by_frame = {}
    for face_id, face in enumerate(faces):
        by_frame.setdefault(face["frame"], []).append(face_id)
    for number in range(1, len(frames)):
        before, now = frames[number - 1], frames[number]
        if now["timestamp"] is None or before["video"] != now["video"] or before["timestamp"] is None:
            continue
        pairs = sorted(
            (float(np.linalg.norm(faces[a]["encoding"] - faces[b]["encoding"])), a, b)
            for a in by_frame.get(number - 1, ()) for b in by_frame.get(number, ())
            if overlap(faces[a]["box"], faces[b]["box"])
        )
        taken_a, taken_b = set(), set()
        for distance, a, b in pairs:  # closest pairs first, each face linked at most once each way
            if distance <= max_distance and a not in taken_a and b not in taken_b:
                track[b] = track[a]
                taken_a.add(a)
                taken_b.add(b)
    first_seen = {}
    return [first_seen.setdefault(t, len(first_seen)) for t in track]
