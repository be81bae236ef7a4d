"""Real footage and real photo folders, end to end through main.py."""

from collections import Counter

import pytest
from conftest import read_csv, run_main

from facecluster.review.evaluate import pairwise_score


def test_real_clip_runs_end_to_end(fixtures, tmp_path):
    result = run_main([fixtures / "video" / "short_hamilton_clip.mp4"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "ClusteredFaces" / "faces.csv")
    assert len(read_csv(tmp_path / "Frames" / "index.csv")) == 10  # 9.2 s at 29.97 fps: t = 0 ... 9 s
    assert len(rows) >= 5
    clusters = Counter(int(r["cluster"]) for r in rows)
    assert clusters[0] >= 3  # the performer seen across the clip is one person
    for cluster in set(clusters) - {-1}:
        assert (tmp_path / "ClusteredFaces" / "Montage" / f"Face_{cluster}.jpg").is_file()


@pytest.mark.parametrize("engine, summary", [
    ([], "10 people, 0 faces unclustered"),
    # The design card's path: at eps 0.45 one john_shimkus chip, 0.455 from his nearest other photo, stays alone.
    (["--detector", "hog", "--encoder", "dlib", "--algorithm", "dbscan"], "10 people, 1 face unclustered"),
], ids=["yunet-sface", "hog-dlib"])
def test_folder_of_labeled_photos_clusters_into_the_ten_people(fixtures, tmp_path, engine, summary):
    result = run_main([fixtures / "faces", *engine], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "ClusteredFaces" / "faces.csv")
    photos = sorted(str(p) for p in (fixtures / "faces").rglob("*.jpg"))
    assert sorted(r["video"] for r in rows) == photos  # every photo holds exactly one face
    people = [r["video"].split("/")[-2] for r in rows]  # the photo's folder is its person
    score = pairwise_score(people, [int(r["cluster"]) for r in rows])
    assert score.precision == 1.0
    assert score.recall >= 0.95
    assert summary in result.stdout


def test_group_photos_never_put_two_people_of_one_photo_in_one_cluster(fixtures, tmp_path):
    result = run_main([fixtures / "group"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "ClusteredFaces" / "faces.csv")
    per_photo = Counter(r["video"].split("/")[-1] for r in rows)
    assert per_photo["two_people.jpg"] == 2 and per_photo["obama_and_biden.jpg"] == 3
    assert per_photo["dogs_no_people.jpg"] == 0
    for photo in per_photo:
        clusters = [int(r["cluster"]) for r in rows if r["video"].endswith(photo) and r["cluster"] != "-1"]
        assert len(clusters) == len(set(clusters)), f"two faces of {photo} share a cluster"
