"""Stage 4: group face encodings into people with DBSCAN.

Two faces in the same frame are two different people. DBSCAN does not know
that, so a cluster holding two faces of one frame (a crowd of similar faces
chained together) is split again by `_split_cannot_link` before anyone sees it.
"""

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.neighbors import NearestNeighbors

UNCLUSTERED = -1


class FaceClusterUtility:
    """Clusters 128-d face encodings; -1 marks a face that joined no one.

    eps: largest encoding distance at which two faces count as neighbours.
        dlib's model is trained so that one person's faces lie within 0.6;
        DBSCAN chains neighbours, so the default sits well below that.
    min_samples: faces (itself included) a face needs within eps to found a
        cluster. At one frame per second a person may be seen only 2-3 times,
        so 2 keeps brief appearances.
    jobs: parallel jobs for the neighbour search (-1: all cores).
    """

    def __init__(self, eps=0.45, min_samples=2, jobs=-1):
        self.eps = eps
        self.min_samples = min_samples
        self.jobs = jobs

    def cluster(self, encodings, frames=None):
        """One label per encoding: 0, 1, ... numbered by first appearance, or -1.

        frames: optional frame number per face; faces of one frame never share a cluster.
        """
        encodings = np.asarray(encodings, dtype=np.float64).reshape(-1, 128)
        if len(encodings) == 0:
            return np.zeros(0, dtype=int)
        labels = DBSCAN(eps=self.eps, min_samples=self.min_samples, metric="euclidean", n_jobs=self.jobs).fit_predict(encodings)
        if frames is not None:
            labels = self._split_cannot_link(encodings, labels, np.asarray(frames))
        return renumber_by_first_appearance(labels)

    def _split_cannot_link(self, encodings, labels, frames):
        """Re-cluster every cluster that holds two faces of one frame.

        Inside such a cluster, neighbours (within eps) are joined closest first,
        skipping any join that would put two faces of one frame together.
        Groups smaller than min_samples become unclustered.
        """
        labels = labels.copy()
        next_label = labels.max() + 1
        for label in sorted(set(labels.tolist()) - {UNCLUSTERED}):
            members = np.flatnonzero(labels == label)
            if len(set(frames[members].tolist())) == len(members):
                continue
            groups = _constrained_single_linkage(encodings[members], frames[members], self.eps)
            for group in groups:
                if len(group) >= max(2, self.min_samples):
                    labels[members[group]] = next_label
                    next_label += 1
                else:
                    labels[members[group]] = UNCLUSTERED
        return labels


def _constrained_single_linkage(encodings, frames, eps):
    """Groups (lists of row indexes) from joining pairs within eps, closest first, never two of one frame."""
    graph = NearestNeighbors(radius=eps).fit(encodings).radius_neighbors_graph(mode="distance").tocoo()
    edges = sorted((d, i, j) for d, i, j in zip(graph.data, graph.row, graph.col) if i < j)
    parent = list(range(len(encodings)))
    seen_in = [{frame} for frame in frames.tolist()]  # frames covered by each group, kept at its root

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _, i, j in edges:
        a, b = root(i), root(j)
        if a != b and not (seen_in[a] & seen_in[b]):
            parent[b] = a
            seen_in[a] |= seen_in[b]
    groups = {}
    for i in range(len(encodings)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def renumber_by_first_appearance(labels):
    """Cluster ids 0, 1, 2 ... in the order their first face appears; -1 stays -1."""
    order = {}
    for label in labels:
        if label != UNCLUSTERED and label not in order:
            order[label] = len(order)
    return np.array([order.get(label, UNCLUSTERED) for label in labels], dtype=int)
