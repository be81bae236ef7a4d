"""Stage 4: group face encodings into people with DBSCAN."""

import numpy as np
from sklearn.cluster import DBSCAN

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

    def cluster(self, encodings):
        """Return one label per encoding: 0, 1, ... numbered by first appearance, or -1."""
        encodings = np.asarray(encodings, dtype=np.float64).reshape(-1, 128)
        if len(encodings) == 0:
            return np.zeros(0, dtype=int)
        labels = DBSCAN(eps=self.eps, min_samples=self.min_samples, metric="euclidean", n_jobs=self.jobs).fit_predict(encodings)
        return renumber_by_first_appearance(labels)


def renumber_by_first_appearance(labels):
    """Cluster ids 0, 1, 2 ... in the order their first face appears; -1 stays -1."""
    order = {}
    for label in labels:
        if label != UNCLUSTERED and label not in order:
            order[label] = len(order)
    return np.array([order.get(label, UNCLUSTERED) for label in labels], dtype=int)
