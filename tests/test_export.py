"""The human-labeling round trip: edit ClusteredFaces/ by hand, export a YOLO dataset both trainers read."""

import hashlib
import html.parser
import os
import shutil

import pytest
import yaml
from conftest import read_csv, run_main, truth_person


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def reviewed(people_run, people_video, tmp_path_factory):
    """A copy of the people-video run after a human's review, plus what the human did."""
    workdir = tmp_path_factory.mktemp("reviewed") / "run"
    shutil.copytree(people_run[0], workdir)
    clustered = workdir / "ClusteredFaces"
    rows = read_csv(clustered / "faces.csv")
    for row in rows:
        row["person"] = truth_person(people_video[1], int(row["frame_index"]), tuple(int(row[k]) for k in ("top", "right", "bottom", "left")))
    folder = {r["person"]: r["portrait_path"].split("/")[0] for r in rows if r["cluster"] != "-1"}
    # Rename two people, ignore one, merge two folders of one... (here: move all of Rose Leslie's into Kit's to
    # test a merge), delete one portrait, move one portrait without its .txt, leave the rest as they are.
    (clustered / folder["obama"]).rename(clustered / "obama")
    (clustered / folder["biden"]).rename(clustered / "biden")
    (clustered / folder["john_simm"]).rename(clustered / "_crew")
    for portrait in (clustered / folder["rose_leslie"]).iterdir():
        portrait.rename(clustered / folder["kit_harington"] / portrait.name)
    (clustered / folder["rose_leslie"]).rmdir()
    (clustered / folder["kit_harington"]).rename(clustered / "kit_and_rose")
    obama_rows = [r for r in rows if r["person"] == "obama"]
    deleted = obama_rows[0]
    (clustered / "obama" / f"face_{deleted['face_id']}.jpg").unlink()
    (clustered / "obama" / f"face_{deleted['face_id']}.txt").unlink()
    moved = [r for r in rows if r["person"] == "biden"][0]
    (clustered / "biden" / f"face_{moved['face_id']}.jpg").rename(clustered / "obama" / f"face_{moved['face_id']}.jpg")
    (clustered / "obama" / "holiday.jpg").write_bytes(b"not ours")  # a stray file the user added
    return workdir, rows, deleted, moved


@pytest.fixture(scope="module")
def exported(reviewed):
    workdir = reviewed[0]
    result = run_main(["export", "--val", "0.3"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    return result


def yolo_line(cls, row):
    w, h = int(row["frame_width"]), int(row["frame_height"])
    top, right, bottom, left = (int(row[k]) for k in ("top", "right", "bottom", "left"))
    return f"{cls} {(left + right) / 2 / w:.6f} {(top + bottom) / 2 / h:.6f} {(right - left) / w:.6f} {(bottom - top) / h:.6f}"


def label_files(dataset):
    return {p.stem: p for p in dataset.glob("labels/*/*.txt")}


def test_classes_are_the_names_the_human_gave(reviewed, exported):
    dataset = reviewed[0] / "Dataset"
    assert (dataset / "classes.txt").read_text().splitlines() == ["biden", "kit_and_rose", "obama"]
    assert (dataset / "obj.names").read_text().splitlines() == ["biden", "kit_and_rose", "obama"]
    assert "Classes: 0 biden" in exported.stdout
    data = yaml.safe_load((dataset / "data.yaml").read_text())
    assert data["names"] == {0: "biden", 1: "kit_and_rose", 2: "obama"}
    assert (data["train"], data["val"]) == ("images/train", "images/val")


def test_label_lines_follow_renames_moves_and_deletions(reviewed, exported):
    workdir, rows, deleted, moved = reviewed
    labels = label_files(workdir / "Dataset")
    by_frame = {}
    for row in rows:
        by_frame.setdefault(row["frame_path"], []).append(row)
    checked = 0
    for frame_path, faces in by_frame.items():
        stem = frame_path.removeprefix("Frames/").removesuffix(".jpg").replace("/", "_")
        people = {r["person"] for r in faces}
        named = people <= {"obama", "biden", "kit_harington", "rose_leslie"}
        if not named:
            assert stem not in labels  # a face without a class in the frame: the frame is left out
            continue
        expected = []
        for row in faces:
            if row is deleted:
                continue
            cls = {"biden": 0, "kit_harington": 1, "rose_leslie": 1, "obama": 2}[row["person"]]
            if row is moved:
                cls = 2  # the portrait now lies in obama/: the human's vote wins
            expected.append(yolo_line(cls, row))
        assert labels[stem].read_text().splitlines() == expected
        checked += 1
    assert checked >= 8


def test_unnamed_and_ignored_faces_cost_frames_and_the_report_says_how_many(reviewed, exported):
    assert "frames were left out because a face in them has no class here (--include-unnamed keeps them)." in exported.stdout
    assert "1 face whose portraits you deleted" in exported.stdout or "1 faces whose portraits you deleted" in exported.stdout
    assert "obama/holiday.jpg" in exported.stdout


def test_negatives_are_frames_with_no_face_and_empty_labels(reviewed, exported):
    dataset = reviewed[0] / "Dataset"
    empty = [p for p in dataset.glob("labels/*/*.txt") if p.read_text() == ""]
    images = list(dataset.glob("images/*/*.jpg"))
    assert 0 < len(empty) <= 0.1 * len(images) + 1


def test_the_split_keeps_each_block_of_time_on_one_side(reviewed, exported):
    dataset = reviewed[0] / "Dataset"
    index = {r["frame_path"].removeprefix("Frames/").removesuffix(".jpg").replace("/", "_"): float(r["timestamp"])
             for r in read_csv(reviewed[0] / "Frames" / "index.csv")}
    side = {}
    for subset in ("train", "val"):
        for image in (dataset / "images" / subset).glob("*.jpg"):
            side.setdefault(int(index[image.stem] // 10), set()).add(subset)
    assert all(len(s) == 1 for s in side.values())
    assert {"train", "val"} == set().union(*side.values())


def test_the_dataset_works_wherever_it_is_copied(reviewed, exported, tmp_path):
    """Every path is relative, resolved as each trainer resolves it, from a copy in another folder."""
    copy = tmp_path / "elsewhere" / "faces-dataset"
    shutil.copytree(reviewed[0] / "Dataset", copy)
    shutil.rmtree(reviewed[0] / "Dataset")  # nothing may still point back at the original
    try:
        # Darknet: paths as given, from the folder darknet runs in (the dataset's); labels beside images.
        data = dict(line.split(" = ") for line in (copy / "obj.data").read_text().splitlines())
        assert data["classes"] == "3"
        for key in ("train", "valid", "names"):
            assert not os.path.isabs(data[key]) and (copy / data[key]).is_file()
        listed = 0
        for listing in ("train.txt", "valid.txt"):
            for image in (copy / listing).read_text().splitlines():
                assert not os.path.isabs(image) and (copy / image).is_file()
                assert (copy / image.replace("images", "labels").replace(".jpg", ".txt")).is_file()
                listed += 1
        assert listed == len(list(copy.glob("images/*/*.jpg"))) > 0
        # Ultralytics (check_det_dataset): no `path:` key, so the root is the folder data.yaml is in.
        data = yaml.safe_load((copy / "data.yaml").read_text())
        assert "path" not in data
        for subset in ("train", "val"):
            assert not os.path.isabs(data[subset]) and (copy / data[subset]).is_dir()
    finally:
        shutil.copytree(copy, reviewed[0] / "Dataset")


def test_exporting_twice_gives_the_same_files_and_keeps_the_users_own(reviewed, exported):
    workdir = reviewed[0]
    dataset = workdir / "Dataset"
    (dataset / "my_notes.txt").write_text("mine")
    before = snapshot(dataset)
    again = run_main(["export", "--val", "0.3"], cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert snapshot(dataset) == before


def test_class_ids_stay_stable_when_more_people_are_named(reviewed, exported, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(reviewed[0], workdir)
    clustered = workdir / "ClusteredFaces"
    unnamed = sorted(p.name for p in clustered.iterdir() if p.name.startswith("Face_"))
    (clustered / unnamed[0]).rename(clustered / "aaron")  # sorts before everyone, still appended last
    result = run_main(["export", "--val", "0.3"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert (workdir / "Dataset" / "classes.txt").read_text().splitlines() == ["biden", "kit_and_rose", "obama", "aaron"]


def test_classes_reordered_by_hand_are_kept_and_label_the_faces(reviewed, exported, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(reviewed[0], workdir)
    classes = workdir / "Dataset" / "classes.txt"
    classes.write_text("obama\nbiden\nkit_and_rose\n")  # the README says: edit it to reorder
    result = run_main(["export", "--val", "0.3"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert classes.read_text().splitlines() == ["obama", "biden", "kit_and_rose"]
    assert (workdir / "Dataset" / "obj.names").read_text().splitlines() == ["obama", "biden", "kit_and_rose"]
    rows = {int(r["face_id"]): r for r in read_csv(workdir / "ClusteredFaces" / "faces.csv")}
    checked = 0
    for portrait in (workdir / "ClusteredFaces" / "obama").glob("face_*.jpg"):
        row = rows[int(portrait.stem[5:])]
        stem = row["frame_path"].removeprefix("Frames/").removesuffix(".jpg").replace("/", "_")
        for label in (workdir / "Dataset" / "labels").glob(f"*/{stem}.txt"):
            assert yolo_line(0, row) in label.read_text().splitlines()  # obama is class 0 now
            checked += 1
    assert checked


def test_an_export_with_no_class_says_why_and_writes_nothing(tmp_path, fixtures):
    assert run_main([fixtures / "group"], cwd=tmp_path).returncode == 0  # nobody is named
    result = run_main(["export"], cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == "", result.stdout
    assert result.stderr.strip() == ("Nothing to export: no face has a class yet. Name the people you want (python "
                                     "main.py review), or give every folder a class with --include-unnamed; nothing "
                                     "was written.")
    assert not (tmp_path / "Dataset").exists()


def test_include_unnamed_gives_every_face_a_class(reviewed, exported, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(reviewed[0], workdir)
    shutil.rmtree(workdir / "Dataset")
    result = run_main(["export", "--include-unnamed"], cwd=workdir)
    assert result.returncode == 0, result.stderr
    names = (workdir / "Dataset" / "classes.txt").read_text().splitlines()
    assert "_crew" not in names and "unknown_face" in names and any(n.startswith("Face_") for n in names)
    assert "left out because" not in result.stdout
    assert "frames are in only because of --include-unnamed (--named-only would leave them out)." in result.stdout


def test_a_dataset_folder_export_did_not_make_is_refused(reviewed, exported, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "thesis.tex").write_text("mine")
    result = run_main(["export", "--out", tmp_path / "elsewhere"], cwd=reviewed[0])
    assert result.returncode == 1
    assert result.stderr.strip().endswith("already exists and was not written by export; choose another --out.")
    assert os.listdir(tmp_path / "elsewhere") == ["thesis.tex"]


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.headings, self.ids, self._in_h2 = [], [], [], set(), False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs["href"])
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self._in_h2 = (tag == "h2" and attrs.get("class") != "hint") or self._in_h2  # a person's heading

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2 and data.strip():
            self.headings.append(data.strip())


def test_review_page_shows_the_folders_as_named_and_every_image_exists(reviewed, exported):
    clustered = reviewed[0] / "ClusteredFaces"
    page = _Page()
    page.feed((clustered / "index.html").read_text())
    folders = {p.name for p in clustered.iterdir() if p.is_dir() and p.name != "Montage"}
    assert {"obama", "biden", "kit_and_rose", "_crew"} <= folders
    assert set(page.headings) == folders  # every folder, as the human named it
    montages = [src for src in page.images if src.startswith("Montage/") and not src.endswith(".face.jpg")]
    faces = [src for src in page.images if src.endswith(".face.jpg")]
    assert len(montages) == len(faces) == 8  # ten people, Rose merged into Kit, the crew ignored: one face each first
    assert page.images.index(faces[-1]) < page.images.index(montages[0])  # everyone at a glance, then the details
    from urllib.parse import unquote
    for src in page.images + page.links:
        if src.startswith("#"):
            assert unquote(src[1:]) in page.ids, src  # an overview tile leads to its person's section
        else:
            assert (clustered / unquote(src)).exists(), src

