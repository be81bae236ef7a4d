"""The clustering scores every quality test trusts, on toy partitions computed by hand."""

import pytest

from facecluster.review.evaluate import bcubed_score, pairwise_score

# Five faces of two people (a a a b b) clustered as {0, 1}, {2, 3}, and face 4 unclustered (-1).
PEOPLE, CLUSTERS = ["a", "a", "a", "b", "b"], [0, 0, 1, 1, -1]


def test_pairwise_scores_count_pairs_of_faces():
    # Pairs put together: (0,1) right, (2,3) wrong -> precision 1/2. Pairs of one person: (0,1) (0,2) (1,2) (3,4);
    # only (0,1) is together -> recall 1/4. An unclustered face is a cluster of its own.
    score = pairwise_score(PEOPLE, CLUSTERS)
    assert (score.precision, score.recall) == (0.5, 0.25)
    assert score.f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75)


def test_bcubed_scores_average_over_faces():
    # Precision per face: 2/2, 2/2, 1/2, 1/2, 1/1 -> 4/5. Recall per face: 2/3, 2/3, 1/3, 1/2, 1/2 -> 8/15.
    precision, recall = bcubed_score(PEOPLE, CLUSTERS)
    assert precision == pytest.approx(4 / 5) and recall == pytest.approx(8 / 15)


def test_a_perfect_clustering_scores_one_and_leaving_everyone_alone_recalls_nothing():
    assert pairwise_score(["x", "x", "y"], [5, 5, 7]) == pairwise_score(["x", "x", "y"], [0, 0, 1])
    perfect = pairwise_score(["x", "x", "y"], [5, 5, 7])
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    assert bcubed_score(["x", "x", "y"], [5, 5, 7]) == (1.0, 1.0)
    alone = pairwise_score(["x", "x"], [-1, -1])  # nothing put together: nothing wrong, nothing found
    assert (alone.precision, alone.recall) == (1.0, 0.0)
    assert bcubed_score(["x", "x"], [-1, -1]) == (1.0, 0.5)
