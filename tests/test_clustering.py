"""Clusters a person can trust: cannot-link, tracks, algorithms, quality gate, evaluation."""

import json
import shutil
from collections import Counter

import numpy as np
import pytest
from conftest import finished_run, read_csv, run_main, truth_person

from tools.scenes import truth_json

ALGORITHMS = [["dbscan"], ["chinese-whispers"], ["agglomerative"], ["kmeans", "--people", "3"], ["gmm", "--people", "3"]]


@pytest.fixture(scope="module")
def group_run(tmp_path_factory, fixtures):
    return finished_run(tmp_path_factory, "group_run", fixtures / "group")


@pytest.fixture(scope="module")
def photos_run(tmp_path_factory, fixtures):
    return finished_run(tmp_path_factory, "photos_run", fixtures / "faces")


@pytest.fixture
def people_copy(people_run, tmp_path):
    """A private copy of the people-video run, for tests that cluster it again."""
    copy = tmp_path / "run"
    shutil.copytree(people_run[0], copy)
    return copy


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a[0])
def test_no_algorithm_ever_puts_two_faces_of_one_photo_in_one_cluster(group_run, algorithm):
    result = run_main(["cluster", "--algorithm", *algorithm, "--force"], cwd=group_run)
    assert result.returncode == 0, result.stderr
    rows = read_csv(group_run / "ClusteredFaces" / "faces.csv")
    assert len(rows) == 29
    together = Counter((r["video"], r["cluster"]) for r in rows if r["cluster"] != "-1")
    assert max(together.values(), default=1) == 1


def test_tracks_follow_one_person_and_share_a_cluster(people_run, people_video):
    rows = read_csv(people_run[0] / "ClusteredFaces" / "faces.csv")
    by_track = {}
    for row in rows:
        box = tuple(int(row[k]) for k in ("top", "right", "bottom", "left"))
        by_track.setdefault(row["track"], []).append((truth_person(people_video[1], int(row["frame_index"]), box), row["cluster"]))
    assert len(by_track) < len(rows) / 2  # faces seen a second apart were linked
    for members in by_track.values():
        assert len({person for person, _ in members}) == 1  # a track never jumps to another person
        assert len({cluster for _, cluster in members}) == 1


def test_evaluate_scores_a_photo_folder_against_its_person_folders(photos_run, fixtures):
    result = run_main(["evaluate", "--truth", fixtures / "faces"], cwd=photos_run)
    assert result.returncode == 0, result.stderr
    scores = json.loads((photos_run / "evaluation.json").read_text())
    assert scores["faces"] == 68 and scores["people"] == 10 and scores["clusters"] == 10
    assert scores["faces_without_truth"] == 0
    assert scores["pairwise"]["precision"] == 1.0
    assert scores["pairwise"]["recall"] == 1.0  # SFace puts every photo with its person (see test_faces)
    assert scores["bcubed"]["precision"] == 1.0
    assert scores["unclustered_share"] == 0.0
    assert "pairwise  precision 1.000  recall 1.000" in result.stdout


def test_evaluate_scores_footage_against_per_frame_truth(people_copy, people_video, tmp_path):
    video, appearances = people_video
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps(truth_json(video.name, appearances, 1469, (640, 360))))
    result = run_main(["evaluate", "--truth", truth, "--json", tmp_path / "scores.json"], cwd=people_copy)
    assert result.returncode == 0, result.stderr
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["pairwise"]["precision"] == 1.0 and scores["pairwise"]["recall"] >= 0.95
    assert scores["bcubed"]["f1"] >= 0.97
    assert scores["people"] == 10
    assert scores["detection_recall"] >= 0.9
    assert scores["faces_without_truth"] <= 2  # background detections, each scored as a person of its own


def test_quality_gate_keeps_small_faces_out_and_says_why(people_copy):
    result = run_main(["cluster", "--min-face", "85"], cwd=people_copy)
    assert result.returncode == 0, result.stderr
    rows = read_csv(people_copy / "ClusteredFaces" / "faces.csv")
    small = [r for r in rows if min(int(r["right"]) - int(r["left"]), int(r["bottom"]) - int(r["top"])) < 85]
    assert small and len(small) < len(rows)
    for row in rows:
        if row in small:
            assert row["quality"] == "small (under 85 px)" and row["cluster"] == "-1"
            assert row["portrait_path"].startswith("LowQuality/")
        else:
            assert row["quality"] == ""
    assert f"{len(small)} faces below the quality gate" in result.stdout


def test_suggest_eps_prints_a_table_and_writes_nothing(people_copy):
    manifest = (people_copy / "ClusteredFaces" / ".manifest.json").read_text()
    result = run_main(["cluster", "--suggest-eps"], cwd=people_copy)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["eps", "people", "unclustered"]
    table = {line.split()[0]: line.split()[1:] for line in lines[2:]}
    assert list(table) == ["0.80", "0.85", "0.90", "0.95", "1.00", "1.05", "1.10", "1.15", "1.20"]  # SFace's scale
    assert table["1.00"][0] == "10"
    assert (people_copy / "ClusteredFaces" / ".manifest.json").read_text() == manifest


def test_landmark_features_are_one_flag_away(people_copy):
    result = run_main(["cluster", "--features", "landmarks", "--eps", "0.15"], cwd=people_copy)
    assert result.returncode == 0, result.stderr
    assert "Found" in result.stdout


def test_cluster_needs_encodings_first(tmp_path):
    result = run_main(["cluster"], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "There is no ./encodings.pickle; run main.py on your footage first."


def test_kmeans_needs_the_number_of_people(tmp_path):
    result = run_main(["cluster", "--algorithm", "kmeans"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "main.py: --algorithm kmeans needs the number of people, --people K (see --help)."


def test_chunked_dbscan_for_long_footage_gives_dbscans_labels(photos_run, people_run):
    """eps_components (used above 20,000 faces) against scikit-learn's DBSCAN on real encodings."""
    from sklearn.cluster import DBSCAN

    from facecluster.clustering.algorithms import (
        eps_components,
        renumber_by_first_appearance,
    )
    from facecluster.encoding.datastore import load_collated

    for workdir in (photos_run, people_run[0]):
        encodings = load_collated(workdir / "encodings.pickle").encodings
        for eps in (0.4, 0.45, 0.5, 0.6):
            expected = DBSCAN(eps=eps, min_samples=2).fit_predict(encodings)
            got = eps_components(encodings, eps, chunk=16)
            assert (renumber_by_first_appearance(got) == renumber_by_first_appearance(expected)).all()


def test_evaluate_scores_the_central_face_of_each_photo_and_leaves_background_people_out(fixtures, tmp_path):
    """LFW photos often show someone behind the person: only the face nearest the centre is theirs."""
    lfw = fixtures / "lfw_dev"
    seen_once = sorted(p.name for p in lfw.iterdir() if len(list(p.iterdir())) == 1)[:10]
    truth = tmp_path / "people"
    truth.mkdir()
    for person in ["Abdullah_Gul", "Adrien_Brody", "Charles_Moose", *seen_once]:
        (truth / person).symlink_to(lfw / person, target_is_directory=True)
    run = tmp_path / "run"
    assert run_main([truth, "--workdir", run], cwd=tmp_path).returncode == 0
    result = run_main(["evaluate", "--truth", truth, "--workdir", run], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads((run / "evaluation.json").read_text())
    rows = read_csv(run / "ClusteredFaces" / "faces.csv")
    images = {r["video"] for r in rows}
    assert len(images) == sum(len(list((truth / p).iterdir())) for p in ("Abdullah_Gul", "Adrien_Brody", "Charles_Moose")) + 10
    assert scores["faces_of_unknown_people"] == len(rows) - len(images) > 0  # one scored face per photo
    assert scores["people"] == 13 and scores["people_seen_once"] == 10
    assert scores["seen_once_alone"] == 1.0
    assert scores["pairwise"]["precision"] == 1.0
    assert "of unknown people (not scored)" in result.stdout and "people seen once: 10, 100.0% of them alone" in result.stdout


def test_silhouette_is_scikit_learns_without_importing_it(photos_run):
    """The numpy silhouette (clustering.silhouette) on real encodings, against scikit-learn's."""
    from sklearn.metrics import silhouette_score

    from facecluster.clustering.algorithms import silhouette
    from facecluster.encoding.datastore import load_collated

    encodings = load_collated(photos_run / "encodings.pickle").encodings
    labels = np.array([int(r["cluster"]) for r in read_csv(photos_run / "ClusteredFaces" / "faces.csv")])
    labels[:3] = -1  # unclustered faces are left out of both
    keep = labels != -1
    assert silhouette(encodings, labels) == pytest.approx(silhouette_score(encodings[keep], labels[keep]), abs=1e-9)


@pytest.mark.parametrize("eps, neighbours", [(1.02, 16), (1.1, 400)])
def test_chinese_whispers_for_long_footage_gives_dlibs_labels(fixtures, tmp_path, eps, neighbours):
    """chinese_whispers_sparse (used above 20,000 faces) against dlib's own clustering on real encodings."""
    import dlib

    from facecluster.clustering.algorithms import chinese_whispers_sparse
    from facecluster.encoding.datastore import load_collated

    run = tmp_path / "run"
    assert run_main([fixtures / "faces", fixtures / "group", "--workdir", run], cwd=tmp_path).returncode == 0
    encodings = load_collated(run / "encodings.pickle").encodings
    expected = dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in encodings], eps)
    got = chinese_whispers_sparse(encodings, eps, neighbours=neighbours, chunk=16)
    assert got.tolist() == list(expected)
    assert len(set(got.tolist())) < len(encodings)  # faces were joined: the comparison means something
