"""Stage 4: group faces into people.

The chosen algorithm labels every face; then, whatever the algorithm, the
faces of a track (tracks.py) take the label most of them got, two faces of one
frame are two people (a cluster that holds two faces of one frame is split
again by `split_cannot_link` before anyone sees it), and a cluster with fewer
faces than min_samples is left unclustered.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

# scikit-learn takes most of a second to import; it is imported only by the
# algorithms that use it, and run.warm_up_clustering imports what the chosen
# algorithm needs while the workers encode.
UNCLUSTERED = -1
DEFAULT_ALGORITHM = "chinese-whispers"
LARGE = 20_000  # faces: above this, DBSCAN and Chinese whispers build their graphs chunk by chunk
NEIGHBOURS = 32  # above LARGE, Chinese whispers links each face to at most 32 faces within eps


class FaceClusterUtility:
    """Clusters face features (128-d encodings by default); -1 marks a face that joined no one.

    algorithm: a name in ALGORITHMS: chinese-whispers (the default), dbscan,
        agglomerative, or, when the number of people is known, kmeans or gmm.
    eps: largest feature distance at which two faces count as the same person,
        on the encoder's scale: the default 0.45 is for dlib encodings (one
        person within 0.6); for SFace's unit-length encodings use 1.0
        (encoders.py: each encoder's `same_person`).
    min_samples: faces a cluster needs (for DBSCAN: within eps of a core face,
        itself included). At one frame per second a person may be seen only
        2-3 times, so 2 keeps brief appearances.
    people: the number of people, for kmeans and gmm.
    pca: reduce features to this many dimensions first (None: keep all).
    jobs: parallel jobs for the neighbour search (-1: all cores).
    """

    def __init__(self, algorithm=DEFAULT_ALGORITHM, eps=0.45, min_samples=2, people=None, pca=None, jobs=-1):
        self.algorithm = algorithm
        self.eps = eps
        self.min_samples = min_samples
        self.people = people
        self.pca = pca
        self.jobs = jobs

    def cluster(self, features, frames=None, tracks=None, cannot_link=()):
        """One label per face: 0, 1, ... numbered by first appearance, or -1.

        frames: frame number per face; faces of one frame never share a cluster.
        tracks: track id per face; the faces of a track share a label, the one
            most of them got.
        cannot_link: pairs (first faces, second faces) a person said are different people; no cluster
            holds faces of both sides.
        """
        features = np.asarray(features, dtype=np.float64)
        count = len(features)
        if count == 0:
            return np.zeros(0, dtype=int)
        tracks = np.arange(count) if tracks is None else np.asarray(tracks)
        frames = np.arange(count) if frames is None else np.asarray(frames)
        if self.pca and self.pca < features.shape[1] and count > self.pca:
            from sklearn.decomposition import PCA

            features = PCA(n_components=self.pca, random_state=0).fit_transform(features)
        labels = vote_per_track(self._fit(features), tracks)
        threshold = np.inf if ALGORITHMS[self.algorithm].needs_people else self.eps
        labels = split_cannot_link(features, labels, cannot_link_tokens(frames, cannot_link), tracks, threshold)
        return renumber_by_first_appearance(_drop_small(labels, self.min_samples))

    def _fit(self, features):
        if len(features) == 1:
            return np.array([UNCLUSTERED])
        return ALGORITHMS[self.algorithm].fit(features, self)


def eps_components(features, eps, chunk=512):
    """The labels of DBSCAN(eps, min_samples=2), in memory that does not grow with the square of the faces.

    With min_samples 2 a DBSCAN cluster is a connected component of the graph
    "within eps", and a face with no neighbour is noise. scikit-learn's DBSCAN
    keeps every face's whole neighbourhood, which for long footage (a person
    seen in thousands of frames) does not fit in memory; here distances are
    computed for `chunk` faces at a time and only the joins between components
    are kept.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    x = np.asarray(features, dtype=np.float32)
    count = len(x)
    squares = (x * x).sum(axis=1)
    component = np.arange(count)
    has_neighbour = np.zeros(count, dtype=bool)
    limit = np.float32(eps * eps)
    for start in range(0, count, chunk):
        block = slice(start, min(count, start + chunk))
        # columns from `start` on: each pair is looked at once, from its lower index; in place, to spare memory
        distances = x[block] @ x[start:].T
        distances *= -2
        distances += squares[None, start:]
        distances += squares[block, None]
        rows, cols = np.nonzero(distances <= limit)
        rows, cols = rows + start, cols + start
        pairs = rows != cols
        rows, cols = rows[pairs], cols[pairs]
        has_neighbour[rows] = has_neighbour[cols] = True
        a, b = component[rows], component[cols]
        joins = a != b
        if joins.any():
            graph = coo_matrix((np.ones(int(joins.sum()), dtype=np.int8), (a[joins], b[joins])), shape=(count, count))
            component = connected_components(graph, directed=False)[1][component]
    return np.where(has_neighbour, component, UNCLUSTERED)


def vote_per_track(labels, tracks):
    """Give every face of a track the label most of its clustered faces got (-1 if none was clustered)."""
    labels = labels.copy()
    members = {}
    for face, track in enumerate(tracks.tolist()):
        members.setdefault(track, []).append(face)
    for faces in members.values():
        if len(faces) > 1:
            votes = Counter(label for label in labels[faces].tolist() if label != UNCLUSTERED)
            labels[faces] = votes.most_common(1)[0][0] if votes else UNCLUSTERED
    return labels


def cannot_link_tokens(frames, cannot_link=()):
    """Per face, its {slot: value} tokens: two faces whose tokens share a slot with different values are two people.

    Two faces of one frame share the slot of that frame (each face its own value); a person's answer
    "these are different people" (common/answers.py) is a slot whose two sides have the values 0 and 1.
    """
    tokens = [{("frame", frame): face} for face, frame in enumerate(np.asarray(frames).tolist())]
    for number, (first, second) in enumerate(cannot_link):
        for side, faces in enumerate((first, second)):
            for face in np.asarray(faces, dtype=int).tolist():
                tokens[face][("answer", number)] = side
    return tokens


def _conflict(a, b):
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return any(slot in large and large[slot] != value for slot, value in small.items())


def _holds_two_people(tokens):
    seen = {}
    for face in tokens:
        if _conflict(seen, face):
            return True
        seen.update(face)
    return False


def split_cannot_link(features, labels, tokens, tracks, threshold):
    """Re-cluster each cluster that holds two faces that are two people (`cannot_link_tokens`).

    Inside such a cluster, faces are joined closest first (pairs within
    `threshold` only), starting from their tracks, and skipping any join that
    would put two people together.
    """
    labels = labels.copy()
    next_label = labels.max() + 1
    for label in sorted(set(labels.tolist()) - {UNCLUSTERED}):
        members = np.flatnonzero(labels == label)
        if not _holds_two_people([tokens[m] for m in members.tolist()]):
            continue
        for group in _constrained_single_linkage(features[members], [tokens[m] for m in members.tolist()],
                                                 tracks[members], threshold):
            labels[members[group]] = next_label
            next_label += 1
    return labels


def _constrained_single_linkage(features, tokens, tracks, threshold):
    """Groups (lists of row indexes): tracks first, then pairs within threshold, closest first, never two people."""
    from scipy.spatial import cKDTree

    tree = cKDTree(features)
    # Every pair closer than the threshold (all pairs when it is infinite), closest first.
    limit = threshold if np.isfinite(threshold) else np.inf
    graph = tree.sparse_distance_matrix(tree, limit, output_type="coo_matrix")
    edges = sorted((d, i, j) for d, i, j in zip(graph.data.tolist(), graph.row.tolist(), graph.col.tolist()) if i < j)
    parent = list(range(len(features)))
    held = [dict(t) for t in tokens]  # the tokens of each group, kept at its root

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i, j):
        a, b = root(i), root(j)
        if a != b and not _conflict(held[a], held[b]):
            parent[b] = a
            held[a].update(held[b])

    first_of_track = {}
    for i, track in enumerate(tracks.tolist()):
        join(first_of_track.setdefault(track, i), i)
    for _, i, j in edges:
        join(i, j)
    groups = {}
    for i in range(len(features)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _drop_small(labels, min_samples):
    """Clusters with fewer faces than min_samples (or just one) become unclustered."""
    labels = labels.copy()
    for label, total in Counter(labels.tolist()).items():
        if label != UNCLUSTERED and total < max(2, min_samples):
            labels[labels == label] = UNCLUSTERED
    return labels


def renumber_by_first_appearance(labels):
    """Cluster ids 0, 1, 2 ... in the order their first face appears; -1 stays -1."""
    order = {}
    for label in labels.tolist():
        if label != UNCLUSTERED and label not in order:
            order[label] = len(order)
    return np.array([order.get(label, UNCLUSTERED) for label in labels.tolist()], dtype=int)


def silhouette(features, labels, most=5000, chunk=512):
    """Mean silhouette of the clustered faces, over at most `most` of them (None with fewer than two clusters).

    Per face: (b - a) / max(a, b), a = mean distance to its own cluster, b = the least mean distance to
    another cluster; computed `chunk` faces at a time with numpy (scikit-learn's import costs more than this).
    """
    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    keep = np.flatnonzero(labels != UNCLUSTERED)
    names, members = np.unique(labels[keep], return_inverse=True)
    if len(names) < 2 or len(keep) <= len(names):
        return None
    if len(keep) > most:
        chosen = np.sort(np.random.RandomState(0).choice(len(keep), most, replace=False))
        keep, members = keep[chosen], members[chosen]
    x = features[keep]
    sizes = np.bincount(members, minlength=len(names)).astype(np.float64)
    onehot = np.zeros((len(x), len(names)))
    onehot[np.arange(len(x)), members] = 1.0
    squares = (x * x).sum(axis=1)
    scores = np.empty(len(x))
    for start in range(0, len(x), chunk):
        block = slice(start, start + chunk)
        distances = np.sqrt(np.maximum(squares[block, None] + squares[None, :] - 2 * x[block] @ x.T, 0.0))
        sums = distances @ onehot  # per face, summed distance to each cluster
        own = members[block]
        rows = np.arange(len(own))
        a = sums[rows, own] / np.maximum(sizes[own] - 1, 1)
        means = sums / sizes
        means[rows, own] = np.inf
        b = means.min(axis=1)
        scores[block] = np.where(sizes[own] > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(scores.mean())


def landmark_features(landmarks):
    """Seed 004's shape features: 68 landmarks centred on their mean and scaled to unit size, flattened."""
    points = np.asarray(landmarks, dtype=np.float64).reshape(-1, 68, 2)
    points = points - points.mean(axis=1, keepdims=True)
    scale = np.sqrt((points ** 2).sum(axis=(1, 2), keepdims=True) / 68)
    return (points / np.maximum(scale, 1e-9)).reshape(len(points), -1)


def _dbscan(features, utility):
    from sklearn.cluster import DBSCAN

    if utility.min_samples <= 2 and len(features) > LARGE:
        return eps_components(features, utility.eps)
    return DBSCAN(eps=utility.eps, min_samples=utility.min_samples, n_jobs=utility.jobs).fit_predict(features)


def _chinese_whispers(features, utility):
    import dlib

    if len(features) > LARGE:
        return chinese_whispers_sparse(features, utility.eps)
    return np.array(dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in features], utility.eps))


def chinese_whispers_sparse(features, eps, neighbours=NEIGHBOURS, chunk=256, seed=0):
    """dlib's Chinese whispers on a graph that links each face to at most `neighbours` faces within eps.

    dlib's chinese_whispers_clustering compares every pair and keeps every
    edge: a person seen in 10,000 frames alone makes 50 million. Here the
    distances are computed `chunk` faces at a time, and a face with more than
    `neighbours` faces within eps keeps a random sample of them (seeded, so
    runs repeat). A sample and not the nearest: in footage a face's nearest
    faces are its own near-copies from the same minute, and keeping only those
    would cut a person's other appearances apart. A face with at most
    `neighbours` within eps keeps them all, so on such data the labels are
    dlib's own (a test checks it): the same edges, each face linked to itself.
    """
    import dlib

    x = np.asarray(features, dtype=np.float32)
    count = len(x)
    squares = (x * x).sum(axis=1)
    keep = min(neighbours, count - 1)
    limit = np.float32(eps * eps)
    rng = np.random.default_rng(seed)
    edges = [np.stack([np.arange(count), np.arange(count)], axis=1)]  # dlib's own clustering links each face to itself
    for start in range(0, count, chunk):
        rows = np.arange(start, min(count, start + chunk))
        distances = squares[rows, None] + squares[None, :] - 2 * (x[rows] @ x.T)
        distances[rows - start, rows] = np.inf
        within = distances < limit
        del distances
        priority = rng.random(within.shape, dtype=np.float32)  # a random order among the faces within eps
        priority[~within] = 2.0  # after every face within eps
        chosen = np.argpartition(priority, keep - 1, axis=1)[:, :keep] if keep < count - 1 else \
            np.broadcast_to(np.arange(count), (len(rows), count))
        linked = np.take_along_axis(within, chosen, axis=1)
        i, j = np.broadcast_to(rows[:, None], chosen.shape)[linked], chosen[linked]
        edges.append(np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1))
    edges = np.unique(np.concatenate(edges), axis=0)  # sorted, each pair once
    return np.array(dlib.chinese_whispers(list(map(tuple, edges.tolist()))))


def _agglomerative(features, utility):
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=None, distance_threshold=utility.eps, linkage="average").fit_predict(features)


def _kmeans(features, utility):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=min(utility.people, len(features)), n_init=10, random_state=0).fit_predict(features)


def _gmm(features, utility):
    from sklearn.mixture import GaussianMixture

    model = GaussianMixture(n_components=min(utility.people, len(features)), covariance_type="diag", random_state=0)
    return model.fit(features).predict(features)


@dataclass(frozen=True)
class Algorithm:
    """A clustering algorithm: `fit(features, utility)` returns a label per face (-1: none)."""

    fit: Callable
    needs_people: bool = False  # it takes the number of people (--people) instead of a distance
    summary: str = ""
    modules: tuple = ()  # slow imports it needs, loaded while the workers encode


# The choices of --algorithm, in the order --help lists them. A new algorithm is one function and one line here.
ALGORITHMS = {
    "chinese-whispers": Algorithm(_chinese_whispers, summary="dlib's graph method: joins faces within eps, "
                                  "does not chain crowds together like dbscan", modules=("dlib",)),
    "dbscan": Algorithm(_dbscan, summary="density-based, chains faces within eps", modules=("sklearn.cluster",)),
    "agglomerative": Algorithm(_agglomerative, summary="average linkage cut at eps", modules=("sklearn.cluster",)),
    "kmeans": Algorithm(_kmeans, needs_people=True, summary="k-means into --people clusters", modules=("sklearn.cluster",)),
    "gmm": Algorithm(_gmm, needs_people=True, summary="a Gaussian mixture of --people components",
                     modules=("sklearn.mixture",)),
}
