"""Scores a clustering against known identities (pairwise precision and recall)."""

from collections import Counter
from dataclasses import dataclass

from .clustering import UNCLUSTERED


@dataclass
class PairwiseScore:
    """Over all pairs of faces: precision = share of same-cluster pairs that are one person,
    recall = share of same-person pairs that share a cluster. Unclustered faces pair with no one."""

    precision: float
    recall: float

    @property
    def f1(self):
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def _pairs(counts):
    return sum(n * (n - 1) // 2 for n in counts)


def pairwise_score(people, clusters):
    """`people` and `clusters`: one label per face, in the same order (-1 in clusters: unclustered)."""
    clustered = [(p, c) for p, c in zip(people, clusters) if c != UNCLUSTERED]
    together = _pairs(Counter(c for _, c in clustered).values())
    correct = _pairs(Counter(clustered).values())
    same_person = _pairs(Counter(people).values())
    return PairwiseScore(
        precision=1.0 if together == 0 else correct / together,
        recall=1.0 if same_person == 0 else correct / same_person,
    )
