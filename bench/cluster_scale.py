"""Clustering time and memory for 100,000 face encodings.

    .venv/bin/python bench/cluster_scale.py WORKDIR [COUNT]

Takes the real encodings of a finished run (WORKDIR/encodings.pickle) and
repeats them with small noise to COUNT faces (default 100,000), then clusters
them at the encoder's eps with Chinese whispers (the default) and with DBSCAN,
as main.py does above 20,000 faces (chinese_whispers_sparse, eps_components),
and prints the seconds and the peak memory of this process after each.
"""

import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from facecluster.clustering.algorithms import FaceClusterUtility  # noqa: E402
from facecluster.clustering.people import encoder_of  # noqa: E402
from facecluster.encoding.datastore import load_collated  # noqa: E402


def main(workdir, count=100_000):
    collated = load_collated(os.path.join(workdir, "encodings.pickle"))
    encodings = collated.encodings
    eps = encoder_of(collated).same_person
    rng = np.random.default_rng(0)
    faces = encodings[rng.integers(0, len(encodings), int(count))]
    faces += rng.normal(0, 0.01, faces.shape)  # about 0.11 apart: repeated sightings of the same faces
    for algorithm in ("chinese-whispers", "dbscan"):
        start = time.perf_counter()
        labels = FaceClusterUtility(algorithm, eps=eps).cluster(faces)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{algorithm}, eps {eps}: {len(faces)} faces from {len(encodings)} real encodings: "
              f"{len(set(labels.tolist()) - {-1})} clusters in {seconds:.1f} s, peak memory so far {peak:.0f} MiB", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
