"""New footage joins folders a human has already labeled, without undoing anything they did."""

import hashlib

import cv2
import pytest
from conftest import read_csv, run_main, truth_person

CUT = 735  # first frame of the second half: 24.5 s at 29.97 fps, between two segments


def cut(video, path, first, last):
    reader = cv2.VideoCapture(str(video))
    reader.set(cv2.CAP_PROP_POS_FRAMES, 0)
    # Motion JPEG at quality 100: the halves carry (nearly) the same pixels as the whole video.
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), reader.get(cv2.CAP_PROP_FPS), (640, 360),
                             [cv2.VIDEOWRITER_PROP_QUALITY, 100])
    for index in range(last):
        ok, frame = reader.read()
        if not ok:
            break
        if index >= first:
            writer.write(frame)
    writer.release()


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def people_of(rows, appearances, offset=0):
    return {int(r["face_id"]): truth_person(appearances, int(r["frame_index"]) + offset,
                                            tuple(int(r[k]) for k in ("top", "right", "bottom", "left"))) for r in rows}


@pytest.fixture
def labeled_first_half(tmp_path, people_video):
    video, appearances = people_video
    cut(video, tmp_path / "first.avi", 0, CUT)
    cut(video, tmp_path / "second.avi", CUT, 10_000)
    result = run_main(["first.avi"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    clustered = tmp_path / "ClusteredFaces"
    rows = read_csv(clustered / "faces.csv")
    who = people_of(rows, appearances)
    folder_of = {who[int(r["face_id"])]: r["portrait_path"].split("/")[0] for r in rows if r["cluster"] != "-1"}
    # The human's review: names Obama's folder, ignores Biden's, deletes one of Rose Leslie's portraits.
    (clustered / folder_of["obama"]).rename(clustered / "barack")
    (clustered / folder_of["biden"]).rename(clustered / "_not_needed")
    rose = sorted((clustered / folder_of["rose_leslie"]).glob("face_*.jpg"))[0]
    rose.unlink()
    return tmp_path, appearances, rose.name


def test_new_footage_joins_named_folders_and_keeps_every_edit(labeled_first_half):
    workdir, appearances, deleted = labeled_first_half
    clustered = workdir / "ClusteredFaces"
    before = snapshot(clustered)
    old_ids = {int(r["face_id"]) for r in read_csv(clustered / "faces.csv")}
    old_folders = {p.name for p in clustered.iterdir() if p.is_dir()}

    result = run_main(["second.avi"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "which keeps your edits" in result.stdout

    after = snapshot(clustered)
    for path, digest in before.items():  # nothing the human left is changed or gone (faces.csv, manifest, page: ours)
        if path not in ("faces.csv", ".manifest.json", "index.html"):
            assert after.get(path) == digest, path
    assert not any(path.endswith("/" + deleted) for path in after)  # a deleted portrait stays deleted

    rows = read_csv(clustered / "faces.csv")
    new_rows = [r for r in rows if int(r["face_id"]) not in old_ids]
    assert new_rows and min(int(r["face_id"]) for r in new_rows) > max(old_ids)
    who = people_of(new_rows, appearances, offset=CUT)
    folder = {int(r["face_id"]): r["portrait_path"].split("/")[0] for r in new_rows}
    for face_id, person in who.items():
        assert (clustered / [r for r in new_rows if int(r["face_id"]) == face_id][0]["portrait_path"]).is_file()
        if person == "obama":
            assert folder[face_id] == "barack"  # a named person keeps their name
        if person == "biden":
            assert folder[face_id] == "_not_needed"  # an ignored person stays ignored
    newcomers = {folder[i] for i, p in who.items() if p in ("alex_lacamoire", "john_simm") and folder[i] != "Unclustered"}
    assert len(newcomers) == 2 and not newcomers & old_folders  # people never seen before get new folders
    for person in ("alex_lacamoire", "john_simm"):
        assert len({folder[i] for i, p in who.items() if p == person}) == 1
    for person in ("john_salley", "john_savage", "john_schneider", "kit_harington", "john_shimkus", "rose_leslie"):
        seen = {folder[i] for i, p in who.items() if p == person}
        assert not seen or seen <= old_folders, (person, seen)  # people seen before join their existing folder


def test_a_second_run_with_nothing_new_changes_nothing(labeled_first_half):
    workdir, _, _ = labeled_first_half
    before = snapshot(workdir / "ClusteredFaces")
    result = run_main(["first.avi"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "No new faces" in result.stdout
    assert snapshot(workdir / "ClusteredFaces") == before


def test_footage_added_to_an_unedited_folder_is_clustered_with_what_was_there(tmp_path, people_video):
    video, appearances = people_video
    cut(video, tmp_path / "first.avi", 0, CUT)
    cut(video, tmp_path / "second.avi", CUT, 10_000)
    assert run_main(["first.avi"], cwd=tmp_path).returncode == 0
    result = run_main(["second.avi"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "ClusteredFaces" / "faces.csv")
    assert {r["video"] for r in rows} == {"first.avi", "second.avi"}
    assert len(read_csv(tmp_path / "Frames" / "index.csv")) == 25 + 25  # both halves, t = 0 ... 24 s each
    assert "10 people" in result.stdout
