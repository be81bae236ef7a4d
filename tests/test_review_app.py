"""The review app (main.py review), in a real browser (Debian's Chromium driven by Selenium) and over HTTP."""

import contextlib
import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import read_csv, run_main, truth_person

from tools.review_client import base_of, call, folder_digest, review_app, token_of

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def people_of(workdir, appearances):
    """{folder: Counter of true people} of ClusteredFaces/ as it is now, and {face id: true person}."""
    clustered = Path(workdir) / "ClusteredFaces"
    truth = {}
    for row in read_csv(clustered / "faces.csv"):
        box = tuple(int(row[k]) for k in ("top", "right", "bottom", "left"))
        truth[int(row["face_id"])] = truth_person(appearances, int(row["frame_index"]), box)
    folders = {}
    for portrait in clustered.glob("*/face_*.jpg"):
        folders.setdefault(portrait.parent.name, Counter())[truth[int(portrait.stem[5:])]] += 1
    return folders, truth


@pytest.fixture
def split_run(tmp_path, people_run):
    """The ten-people video clustered at eps 0.7, which splits some people in two: merges to make."""
    workdir = tmp_path / "work"
    shutil.copytree(people_run[0], workdir)
    result = run_main(["cluster", "--eps", "0.7", "--workdir", workdir], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return workdir


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK), \
        "the browser tests need Debian's chromium and chromium-driver; make test installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def wait_for(check, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(Exception):
            value = check()
            if value:
                return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {check}")


class Keyboard:
    """Keys typed into the page as a person would, waiting for the page to settle after each."""

    def __init__(self, driver):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        self.driver, self.Keys, self.ActionChains = driver, Keys, ActionChains

    def type(self, *keys):
        self.ActionChains(self.driver).send_keys(*keys).perform()

    def chord(self, *modifiers_and_key):
        *modifiers, key = modifiers_and_key
        actions = self.ActionChains(self.driver)
        for m in modifiers:
            actions.key_down(m)
        actions.send_keys(key)
        for m in reversed(modifiers):
            actions.key_up(m)
        actions.perform()

    def text(self, element_id):
        return self.driver.execute_script(f"return document.getElementById('{element_id}').textContent")

    def visible(self, element_id):
        return self.driver.execute_script(f"return !document.getElementById('{element_id}').hidden")


def open_person(keys, name):
    """/ name Enter Enter: the search finds the folder, the first card opens."""
    keys.type("/")
    wait_for(lambda: keys.driver.switch_to.active_element.get_attribute("id") == "search")
    keys.type(name, keys.Keys.ENTER)
    wait_for(lambda: keys.driver.execute_script(
        "const c = document.querySelector('#people .card.focused .name'); return c && c.textContent") == name)
    keys.type(keys.Keys.ENTER)
    wait_for(lambda: keys.visible("person") and keys.driver.find_element("id", "name").get_attribute("value") == name)


def test_a_review_from_the_keyboard_alone_ends_in_the_dataset_the_person_meant(split_run, people_video, browser, tmp_path):
    appearances = people_video[1]
    clustered = split_run / "ClusteredFaces"
    folders, truth = people_of(split_run, appearances)
    assert all(len(people) == 1 for people in folders.values()), folders  # pure, but some people in two folders
    merges_needed = sum(Counter(p.most_common(1)[0][0] for p in folders.values()).values()) - len(
        {p.most_common(1)[0][0] for p in folders.values()})
    assert merges_needed >= 3, folders
    # A clustering mistake to fix: one of biden's faces put into rose_leslie's folder by hand.
    biden_folder = next(f for f, p in folders.items() if "biden" in p)
    rose_folder = next(f for f, p in folders.items() if "rose_leslie" in p)
    wrong = sorted(clustered.glob(f"{biden_folder}/face_*.jpg"))[0]
    wrong_id = int(wrong.stem[5:])
    for path in (wrong, wrong.with_suffix(".txt")):
        os.rename(path, clustered / rose_folder / path.name)
    before = folder_digest(clustered)

    keys = Keyboard(browser)
    with review_app(split_run) as url:
        browser.get(url)
        wait_for(lambda: "named" in keys.text("progress"))
        assert "token" not in browser.current_url  # the secret left the address bar for a cookie
        # The queue, answered from the truth: y when both sides are one person.
        keys.type("q")
        asked, answers = [], Counter()
        while True:
            wait_for(lambda: keys.visible("queue") and keys.text("qtitle"))
            if keys.text("qtitle") == "No questions left.":
                break
            sides = browser.execute_script(
                "return [...document.querySelectorAll('#qbody > div')].map(d => [...d.querySelectorAll('img')].map(i => +i.dataset.face))")
            people = [Counter(truth[i] for i in side).most_common(1)[0][0] for side in sides]
            question = (keys.text("qtitle"), tuple(map(tuple, sides)))
            assert question not in asked, "a question came back after its answer"
            asked.append(question)
            if len(asked) == 1:
                browser.save_screenshot(str(tmp_path / "queue.png"))
            reply = "y" if people[0] == people[1] else "n"
            answers[reply] += 1
            keys.type(reply)
            wait_for(lambda: keys.text("qtitle") != question[0] or browser.execute_script(
                "return [...document.querySelectorAll('#qbody img')].map(i => +i.dataset.face).join()") !=
                ",".join(str(i) for side in sides for i in side))
            assert len(asked) < 60
        assert answers["y"] == merges_needed, answers
        folders, _ = people_of(split_run, appearances)
        assert sorted(p.most_common(1)[0][0] for p in folders.values()) == sorted(set(truth.values()))  # one folder each
        keys.type(keys.Keys.ESCAPE)

        # Name three people.
        named = {}
        for person in ("obama", "biden", "kit_harington"):
            folder = next(f for f, p in people_of(split_run, appearances)[0].items() if p.most_common(1)[0][0] == person)
            open_person(keys, folder)
            keys.type("r")
            wait_for(lambda: browser.switch_to.active_element.get_attribute("id") == "name")
            keys.type(keys.Keys.BACKSPACE, person, keys.Keys.ENTER)
            wait_for(lambda: (clustered / person).is_dir() and not (clustered / folder).exists())
            named[person] = folder
            keys.type(keys.Keys.ESCAPE)
        wait_for(lambda: keys.text("progress").startswith("3 of 10 named"))

        # The misplaced face is the most doubtful one of its folder: the first, under the cursor. Move it to biden.
        rose_now = next(f for f, p in people_of(split_run, appearances)[0].items() if "rose_leslie" in p)
        open_person(keys, rose_now)
        first = browser.execute_script("return +document.querySelector('#faces .face').dataset.face")
        assert first == wrong_id
        keys.type(" ", "m")
        wait_for(lambda: browser.switch_to.active_element.get_attribute("id") == "moveto")
        keys.type("biden", keys.Keys.ENTER)
        wait_for(lambda: (clustered / "biden" / wrong.name).exists() and (clustered / "biden" / wrong.with_suffix(".txt").name).exists())
        assert not (clustered / rose_now / wrong.name).exists()
        browser.save_screenshot(str(tmp_path / "person.png"))

        # Undo and redo, from the keyboard.
        keys.chord(keys.Keys.CONTROL, "z")
        wait_for(lambda: (clustered / rose_now / wrong.name).exists() and not (clustered / "biden" / wrong.name).exists())
        keys.chord(keys.Keys.CONTROL, keys.Keys.SHIFT, "z")
        wait_for(lambda: (clustered / "biden" / wrong.name).exists() and not (clustered / rose_now / wrong.name).exists())
        keys.type(keys.Keys.ESCAPE)
        wait_for(lambda: keys.visible("overview"))
        keys.type("/")
        keys.type(keys.Keys.BACKSPACE, keys.Keys.ENTER)  # everyone again
        wait_for(lambda: len(browser.find_elements("css selector", "#people .card")) == 10)
        browser.save_screenshot(str(tmp_path / "overview.png"))
        if os.environ.get("REVIEW_SCREENSHOTS"):  # how the README's pictures are made
            for name in ("overview.png", "person.png", "queue.png"):
                shutil.copy(tmp_path / name, Path(os.environ["REVIEW_SCREENSHOTS"]) / f"review-{name}")

    # Every action was a hand edit's file operation: export sees exactly the three names.
    result = run_main(["export", "--workdir", split_run], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (split_run / "Dataset" / "classes.txt").read_text().split() == ["biden", "kit_harington", "obama"]
    frames = {r["frame_path"]: r for r in read_csv(clustered / "faces.csv")}
    wrong_row = next(r for r in frames.values() if int(r["face_id"]) == wrong_id)
    label = split_run / "Dataset" / "labels"
    stem = wrong_row["frame_path"].removeprefix("Frames/").removesuffix(".jpg").replace("/", "_")
    lines = next(label.glob(f"*/{stem}.txt")).read_text().split("\n")
    assert lines[0].split()[0] == "0"  # the moved face is biden's (class 0)
    assert before != folder_digest(clustered)


def test_undo_of_a_whole_session_restores_the_folders_byte_for_byte_after_a_restart(split_run):
    clustered = split_run / "ClusteredFaces"
    before = folder_digest(clustered)
    with review_app(split_run) as url:
        token = token_of(url)
        state = call(url, "/api/state")[1]
        first, second = state["people"][0], state["people"][1]
        faces = call(url, f"/api/folder/{second['id']}")[1]["faces"]
        assert call(url, "/api/move", {"faces": [faces[0]["id"]], "to": first["id"]}, token)[0] == 200
        assert call(url, "/api/move", {"faces": [faces[1]["id"]], "to": "not_a_face"}, token)[0] == 200
        assert call(url, "/api/rename", {"folder": first["id"], "name": "alice"}, token)[0] == 200
        question = call(url, "/api/question")[1]["question"]
        assert call(url, "/api/answer", {"key": question["key"], "answer": "no"}, token)[0] == 200
        assert (clustered / "alice").is_dir() and (clustered / "_not_a_face").is_dir()
    with review_app(split_run) as url:  # a restart keeps the history
        token = token_of(url)
        assert call(url, "/api/state")[1]["history"]["undo"] == 4
        for _ in range(4):
            assert call(url, "/api/undo", {}, token)[0] == 200
        status, reply = call(url, "/api/undo", {}, token)
        assert status == 409 and reply["error"] == "Nothing to undo."
    after = folder_digest(clustered)
    after.pop(".review-history.json")
    assert after == before
    assert json.loads((split_run / "review-answers.json").read_text())["different"] == []


def test_the_app_is_closed_to_anyone_without_its_secret_and_names_nothing_by_path(split_run, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    before = folder_digest(split_run)
    with review_app(split_run) as url:
        token = token_of(url)
        port = base_of(url).rsplit(":", 1)[1]
        assert call(url, "/api/state", cookie=False)[0] == 403  # no secret
        status, reply = call(url.replace(token, "wrong" * 4), "/api/state")
        assert status == 403, reply
        assert call(url, "/api/state", host=f"evil.example:{port}")[0] == 403  # DNS rebinding
        assert call(url, "/api/state", host=f"127.0.0.1:{port}")[0] == 200
        person = call(url, "/api/state")[1]["people"][0]
        face = call(url, f"/api/folder/{person['id']}")[1]["faces"][0]["id"]
        # A change with the cookie alone (what another site could make the browser send) is refused.
        assert call(url, "/api/move", {"faces": [face], "to": "not_a_face"})[0] == 403
        for path in ("/faces/999999.jpg", "/frames/999999.jpg", "/api/frame/999999", "/api/folder/0123456789ab",
                     "/faces/..%2F..%2Foutside.jpg", "/api/folder/..%2F..", "/static/../../main.py"):
            assert call(url, path)[0] == 404, path
        for body in ({"faces": [999999], "to": "not_wanted"}, {"faces": [face], "to": "../outside"},
                     {"faces": [face], "name": "../../outside", "create": True}):
            assert call(url, "/api/move", body, token)[0] == 404, body
        assert call(url, "/api/rename", {"folder": person["id"], "name": "../../outside"}, token)[0] == 404
        assert call(url, "/api/rename", {"folder": "../ClusteredFaces", "name": "x"}, token)[0] == 404
        assert call(url, "/api/cover", {"folder": person["id"], "face": 999999}, token)[0] == 404
    assert folder_digest(split_run) == before and outside.read_text() == "keep me"


def test_a_hand_edit_meanwhile_shows_on_reload_and_is_never_overwritten(split_run):
    clustered = split_run / "ClusteredFaces"
    with review_app(split_run) as url:
        token = token_of(url)
        people = call(url, "/api/state")[1]["people"]
        first, second = people[0], people[1]
        face = call(url, f"/api/folder/{first['id']}")[1]["faces"][0]["id"]
        assert call(url, "/api/move", {"faces": [face], "to": second["id"]}, token)[0] == 200
        # Meanwhile, in a file manager: the face moved on to a folder of the person's own.
        (clustered / "mine").mkdir()
        os.rename(clustered / second["name"] / f"face_{face}.jpg", clustered / "mine" / f"face_{face}.jpg")
        state = call(url, "/api/state")[1]
        assert any(p["name"] == "mine" and p["count"] == 1 for p in state["people"])
        # Undoing the app's move would take a file that is no longer where the app put it: refused, nothing moved.
        before = folder_digest(clustered)
        status, reply = call(url, "/api/undo", {}, token)
        assert status == 409 and "changed meanwhile" in reply["error"], reply
        assert folder_digest(clustered) == before


def test_a_no_keeps_two_folders_apart_when_clustering_again(split_run):
    """'Different people' answered for two halves of one person: cluster --force at the default eps, which would join
    them, keeps them apart."""
    clustered = split_run / "ClusteredFaces"
    with review_app(split_run) as url:
        token = token_of(url)
        question = call(url, "/api/question")[1]["question"]
        assert question["kind"] == "pair"
        sides = [call(url, f"/api/folder/{question[s]['id']}")[1]["faces"] for s in ("a", "b")]
        assert call(url, "/api/answer", {"key": question["key"], "answer": "no"}, token)[0] == 200
        assert call(url, "/api/question")[1]["question"]["key"] != question["key"]  # never asked again
    keys = [{(r["frame_path"], r["top"], r["left"]) for r in read_csv(clustered / "faces.csv")
             if int(r["face_id"]) in {f["id"] for f in side}} for side in sides]
    result = run_main(["cluster", "--force", "--workdir", split_run], cwd=split_run)
    assert result.returncode == 0, result.stderr
    rows = read_csv(clustered / "faces.csv")
    clusters = [{r["cluster"] for r in rows if (r["frame_path"], r["top"], r["left"]) in side} for side in keys]
    assert clusters[0] and clusters[1] and not clusters[0] & clusters[1], clusters
    # Without the answer, the same clustering joins them (so the answer, not chance, kept them apart).
    os.rename(split_run / "review-answers.json", split_run / "answers.aside")
    shutil.rmtree(clustered)
    assert run_main(["cluster", "--workdir", split_run], cwd=split_run).returncode == 0
    rows = read_csv(clustered / "faces.csv")
    clusters = [{r["cluster"] for r in rows if (r["frame_path"], r["top"], r["left"]) in side} for side in keys]
    assert clusters[0] == clusters[1], clusters


def test_an_action_killed_half_way_is_finished_on_the_next_start(split_run):
    """The history records an action before its first step; a start finds it pending and completes it."""
    from facecluster.output.clustered import plan_rename, read_labels
    from facecluster.reviewapp.history import History

    clustered = split_run / "ClusteredFaces"
    state = read_labels(str(clustered))
    names = sorted({f for f in state.folder_of.values() if f.startswith("Face_")})
    steps = plan_rename(str(clustered), names[1], names[0])  # a merge: many moves, then removing the folder
    history = History(str(split_run), str(clustered))
    data = history.read()
    data["pending"] = {"kind": "do", "action": {"label": "merge", "steps": steps}, "steps": steps}
    history._write(data)
    for step in steps[: len(steps) // 2]:  # the kill came half-way through the moves
        os.rename(clustered / step[1], clustered / step[2])
    with review_app(split_run) as url:
        assert call(url, "/api/state")[1]["history"]["undo"] == 1
    assert not (clustered / names[1]).exists()
    assert len(list((clustered / names[0]).glob("face_*.jpg"))) == sum(1 for f in state.folder_of.values() if f in names[:2])


def test_a_port_in_use_is_one_sentence(split_run):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_main(["review", "--no-browser", "--port", port, "--workdir", split_run], cwd=split_run)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (f"Cannot listen on 127.0.0.1 port {port}: it is in use or not this computer's; "
                                     "choose another --port (or leave it out for a free one) or --host.")
