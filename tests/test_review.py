"""Review suggestions: likely merges and doubtful faces, recomputed from the folders as they are now."""

import re
import shutil

from conftest import read_csv, run_main


def merges_in(output):
    return [tuple(line.split()[1::2]) for line in output.splitlines() if re.match(r"^  \d\.\d+  \S+  \+  \S+$", line)]


def test_a_merge_done_by_moving_files_makes_its_suggestion_disappear(fixtures, tmp_path):
    assert run_main([fixtures / "faces", "--eps", "0.7"], cwd=tmp_path).returncode == 0  # splits some people
    clustered = tmp_path / "ClusteredFaces"
    person = {int(r["face_id"]): r["video"].split("/")[-2] for r in read_csv(clustered / "faces.csv")}

    def who(folder):
        return {person[int(p.stem[5:])] for p in (clustered / folder).glob("face_*.jpg")}

    result = run_main(["review", "--list"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    suggested = merges_in(result.stdout)
    assert suggested, result.stdout
    for first, second in suggested:
        assert who(first) == who(second) and len(who(first)) == 1  # every suggestion is one person
    first, second = suggested[0]
    assert first in (clustered / "index.html").read_text() and "Likely the same person" in (clustered / "index.html").read_text()

    for path in (clustered / second).iterdir():  # the reviewer follows it in a file manager
        shutil.move(str(path), str(clustered / first / path.name))
    (clustered / second).rmdir()
    again = run_main(["review", "--list"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    left = merges_in(again.stdout)
    assert (first, second) not in left and len(left) == len(suggested) - 1
    assert f"{second}</a>" not in (clustered / "index.html").read_text()


def test_a_face_moved_into_the_wrong_folder_is_doubtful(fixtures, tmp_path):
    assert run_main([fixtures / "faces"], cwd=tmp_path).returncode == 0
    clustered = tmp_path / "ClusteredFaces"
    rows = read_csv(clustered / "faces.csv")
    obama = next(r for r in rows if "/obama/" in r["video"])
    target = next(r["portrait_path"].split("/")[0] for r in rows if "/john_salley/" in r["video"])
    shutil.move(str(clustered / obama["portrait_path"]), str(clustered / target / f"face_{obama['face_id']}.jpg"))
    result = run_main(["review", "--list"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doubtful = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("  ") and "/face_" in line]
    assert doubtful == [f"{target}/face_{obama['face_id']}.jpg"]  # that face, and no other
