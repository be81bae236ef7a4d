"""Tracks: the same face followed from one sampled frame to the next.

At one frame per second a person standing in view is seen again a second
later close to where they were. Faces in consecutive sampled frames of one
video whose boxes overlap and whose encodings are close are linked into a
track, and clustering then decides per track, so one odd encoding in the
middle of a track cannot send that face to another folder.
"""

import numpy as np

from ..common.boxes import overlap


def link_tracks(table, max_distance):
    """One track id per face of a FaceTable (0, 1, ...). Only video frames sampled one after the other are linked.

    max_distance: largest encoding distance between two linked faces (the encoder's track_distance).
    """
    track = list(range(len(table)))
    by_frame = table.faces_by_frame()
    frames = table.frames
    for number in range(1, len(frames)):
        before, now = frames[number - 1], frames[number]
        if now.timestamp is None or before.timestamp is None or before.video != now.video:
            continue
        pairs = sorted(
            (float(np.linalg.norm(table.encodings[a] - table.encodings[b])), a, b)
            for a in by_frame.get(number - 1, ()) for b in by_frame.get(number, ())
            if overlap(table.boxes[a], table.boxes[b])
        )
        taken_a, taken_b = set(), set()
        for distance, a, b in pairs:  # closest pairs first, each face linked at most once each way
            if distance <= max_distance and a not in taken_a and b not in taken_b:
                track[b] = track[a]
                taken_a.add(a)
                taken_b.add(b)
    first_seen = {}
    return [first_seen.setdefault(t, len(first_seen)) for t in track]
