"""The pyPiper graph: its adapter fails loudly if pyPiper changes; a frame that fails comes back as a result."""

import shutil

import pytest
from conftest import read_csv, run_main
from pyPiper import Node
from test_bad_input import assert_one_sentence

from facecluster.encoding.pypiper_adapter import GraphRunner, check_compatible


class Count(Node):
    def setup(self, size):
        self.size, self.at = size, 0

    def run(self, data):
        if self.at == self.size:
            self.close()
        else:
            self.at += 1
            self.emit(self.at)


class Square(Node):
    def run(self, data):
        self.emit(data * data)


def test_the_adapter_runs_a_pypiper_graph_item_by_item():
    runner = GraphRunner(Count("count", size=4) | Square("square"))
    assert [runner.run_one(item) for item in runner.root_items()] == [[1], [4], [9], [16]]
    assert runner.finish() == []


def test_the_adapter_names_what_a_changed_pypiper_no_longer_has():
    graph = Count("count", size=1) | Square("square")
    check_compatible(graph)
    del graph._node_list
    with pytest.raises(RuntimeError, match="this pyPiper lacks graph._node_list, which pypiper_adapter.py needs"):
        check_compatible(graph)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_frame_that_cannot_be_encoded_comes_back_with_its_reason(tmp_path, fixtures, workers):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("two_people.jpg", "obama_and_biden.jpg", "dogs_no_people.jpg"):
        shutil.copy(fixtures / "group" / name, photos / name)
    broken = tmp_path / "Frames" / "photos" / "frame_000002.jpg"  # a saved frame a disk error left unreadable
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not a jpeg")
    result = run_main(["photos", "--workers", workers], cwd=tmp_path)
    assert_one_sentence(result, "1 of 3 frames could not be encoded (first: Frames/photos/frame_000002.jpg: "
                                "the saved frame cannot be read); the others are saved in Encodings/")
    assert sorted(p.name for p in (tmp_path / "Encodings").glob("encodings_*.pickle")) == [
        "encodings_photos_000001.pickle", "encodings_photos_000003.pickle"]
    broken.unlink()
    again = run_main(["photos", "--workers", workers], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(read_csv(tmp_path / "ClusteredFaces" / "faces.csv")) == 5
