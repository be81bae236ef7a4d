"""Nothing of the user's is lost: their edits are seen by content, their own files are never written over."""

import os
import shutil

import pytest
from conftest import read_csv, run_main
from test_bad_input import assert_one_sentence


@pytest.fixture
def group_run(tmp_path, fixtures):
    """A finished run on three group photos (29 faces)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("two_people.jpg", "obama_and_biden.jpg", "bald_guys.jpg"):
        shutil.copy(fixtures / "group" / name, photos / name)
    assert run_main(["photos"], cwd=tmp_path).returncode == 0
    return tmp_path


@pytest.mark.parametrize("edited", ["annotation", "classes.txt"])
def test_an_edit_that_keeps_the_size_of_a_file_is_still_an_edit(group_run, edited):
    clustered = group_run / "ClusteredFaces"
    if edited == "annotation":
        target = sorted(clustered.glob("*/face_*.txt"))[0]
        text = target.read_text()
        changed = text.replace("0 ", "1 ", 1)  # the person gave the face another class: same length
    else:
        target = clustered / "classes.txt"
        changed = "head\n"  # "face" renamed, same length
    assert len(changed) == len(target.read_text())
    stat = target.stat()
    target.write_text(changed)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with its old time
    result = run_main(["cluster"], cwd=group_run)
    assert_one_sentence(result, "has changed since this program wrote it", "--force")
    assert target.read_text() == changed


def test_a_file_the_user_put_where_a_new_portrait_would_go_is_kept(group_run, fixtures):
    clustered = group_run / "ClusteredFaces"
    rows = read_csv(clustered / "faces.csv")
    next_id = max(int(r["face_id"]) for r in rows) + 1
    (clustered / "Face_0").rename(clustered / "alice")  # the folder is the person's now
    mine = clustered / "Unclustered" / f"face_{next_id}.jpg"
    mine.parent.mkdir(exist_ok=True)
    mine.write_bytes(b"my own picture")
    (group_run / "more").mkdir()
    shutil.copy(fixtures / "faces" / "obama" / "obama1.jpg", group_run / "more" / "obama1.jpg")
    result = run_main(["photos", "more"], cwd=group_run)
    assert result.returncode == 0, result.stderr
    assert "which keeps your edits" in result.stdout
    assert mine.read_bytes() == b"my own picture"
    added = [r for r in read_csv(clustered / "faces.csv") if int(r["face_id"]) >= next_id]
    assert len(added) == 1 and int(added[0]["face_id"]) != next_id
    assert (clustered / added[0]["portrait_path"]).is_file()


@pytest.fixture
def exported_run(tmp_path, fixtures):
    """A run on the fixture photos with two people named, exported to Dataset/."""
    assert run_main([fixtures / "faces"], cwd=tmp_path).returncode == 0
    clustered = tmp_path / "ClusteredFaces"
    (clustered / "Face_0").rename(clustered / "alice")
    (clustered / "Face_1").rename(clustered / "bob")
    result = run_main(["export"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_export_never_deletes_outside_its_folder_whatever_its_manifest_says(exported_run, tmp_path_factory):
    import json

    outside = tmp_path_factory.mktemp("elsewhere") / "precious.txt"
    outside.write_text("keep me")
    beside = exported_run / "precious.txt"
    beside.write_text("keep me too")
    path = exported_run / "Dataset" / ".export-manifest.json"
    recorded = json.loads(path.read_text())
    import hashlib

    # The real SHA-256 of each file: only the containment check, not a hash mismatch, can keep them.
    for name, file in ((str(outside), outside), ("../precious.txt", beside), ("../../" + outside.parent.name + "/precious.txt", outside)):
        recorded["files"][name] = hashlib.sha256(file.read_bytes()).hexdigest()
    path.write_text(json.dumps(recorded))
    result = run_main(["export"], cwd=exported_run)
    assert result.returncode == 0, result.stderr
    assert outside.read_text() == "keep me" and beside.read_text() == "keep me too"


def test_export_refuses_another_work_folders_dataset_and_a_file_as_out(exported_run, tmp_path_factory, fixtures):
    other = tmp_path_factory.mktemp("other")
    assert run_main([fixtures / "group", "--workdir", other], cwd=other).returncode == 0
    before = sorted(p.relative_to(exported_run).as_posix() for p in (exported_run / "Dataset").rglob("*"))
    result = run_main(["export", "--workdir", other, "--out", exported_run / "Dataset", "--include-unnamed"], cwd=other)
    assert_one_sentence(result, "holds a dataset exported from another work folder; choose another --out.")
    assert sorted(p.relative_to(exported_run).as_posix() for p in (exported_run / "Dataset").rglob("*")) == before
    result = run_main(["export", "--out", exported_run / "Dataset" / "classes.txt"], cwd=exported_run)
    assert_one_sentence(result, "is a file, not a folder; choose another --out.")


def test_a_copied_work_folder_exports_into_its_own_dataset(exported_run, tmp_path_factory):
    copy = tmp_path_factory.mktemp("moved") / "run"
    shutil.copytree(exported_run, copy)
    result = run_main(["export"], cwd=copy)
    assert result.returncode == 0, result.stderr


def test_an_edited_dataset_file_is_not_overwritten(exported_run):
    labels = sorted((exported_run / "Dataset" / "labels").rglob("*.txt"))[0]
    labels.write_text("0 0.5 0.5 0.1 0.1\n")  # the person fixed a box by hand
    result = run_main(["export"], cwd=exported_run)
    assert_one_sentence(result, "is not a file export wrote (or you changed it)")
    assert labels.read_text() == "0 0.5 0.5 0.1 0.1\n"


def test_two_cameras_clip_mp4_are_two_sources_in_one_run_or_in_two(tmp_path, fixtures):
    from conftest import ROOT

    for camera, video in (("cam1", fixtures / "video" / "short_hamilton_clip.mp4"), ("cam2", ROOT / "Footage.mp4")):
        (tmp_path / camera).mkdir()
        shutil.copy(video, tmp_path / camera / "clip.mp4")
    together, apart = tmp_path / "together", tmp_path / "apart"
    assert run_main(["cam1/clip.mp4", "cam2/clip.mp4", "--workdir", together], cwd=tmp_path).returncode == 0
    assert run_main(["cam1/clip.mp4", "--workdir", apart], cwd=tmp_path).returncode == 0
    second = run_main(["cam2/clip.mp4", "--workdir", apart], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    for work in (together, apart):
        assert sorted(p.name for p in (work / "Frames").iterdir() if p.is_dir()) == ["clip", "clip_2"]
        assert len(list((work / "Encodings").glob("encodings_clip_2_*.pickle"))) == 25  # Footage.mp4: 25 s
    # The same content under another path is the same source: its frames are reused, not encoded again.
    (tmp_path / "moved").mkdir()
    shutil.copy(tmp_path / "cam1" / "clip.mp4", tmp_path / "moved" / "clip.mp4")
    before = sorted(p.name for p in (apart / "Encodings").iterdir())
    again = run_main(["moved/clip.mp4", "--workdir", apart], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (apart / "Encodings").iterdir()) == before
