"""How the clustering would change with eps, on a finished run whose people are known.

    python main.py tests/data/faces --workdir /tmp/photos
    python bench/eps_table.py /tmp/photos

The truth is each face's source folder name (image-folder input laid out as
<person>/<image>). Prints distance facts and, per eps, pairwise precision and
recall, clusters and unclustered faces, with faces of one frame kept apart.
"""

import os
import sys

import numpy as np
from scipy.spatial.distance import cdist

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from facecluster.clustering.algorithms import FaceClusterUtility  # noqa: E402
from facecluster.common.workfolder import WorkFolder  # noqa: E402
from facecluster.encoding.datastore import load_collated  # noqa: E402
from facecluster.review.evaluate import pairwise_score  # noqa: E402


def main(workdir, *eps_values):
    collated = load_collated(WorkFolder(workdir).collated)
    encodings = collated.encodings
    people = [os.path.basename(os.path.dirname(collated.frame_of(i).video)) for i in range(len(collated))]
    distances = cdist(encodings, encodings)
    same = np.equal.outer(people, people)
    np.fill_diagonal(distances, np.nan)
    nearest_same = np.nanmin(np.where(same, distances, np.nan), axis=1)
    print(f"{len(collated)} faces of {len(set(people))} people")
    print(f"largest same-person distance     {np.nanmax(np.where(same, distances, np.nan)):.3f}")
    print(f"smallest different-person dist.  {np.nanmin(np.where(~same, distances, np.nan)):.3f}")
    print(f"largest nearest-same-person dist {np.nanmax(nearest_same):.3f}")
    print("eps    precision recall clusters unclustered")
    for eps in [float(e) for e in eps_values] or [0.35, 0.4, 0.45, 0.5, 0.55, 0.6]:
        labels = FaceClusterUtility(eps=eps).cluster(encodings, frames=collated.frame)
        score = pairwise_score(people, labels.tolist())
        print(f"{eps:<6} {score.precision:9.3f} {score.recall:6.3f} {len(set(labels.tolist()) - {-1}):8d} {int((labels == -1).sum()):11d}")


if __name__ == "__main__":
    main(*sys.argv[1:])
