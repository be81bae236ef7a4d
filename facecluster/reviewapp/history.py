"""Undo and redo of every review action, kept in ClusteredFaces/.review-history.json so they survive a restart.

An action is a label and its steps: the folder steps of output/clustered.py, plus
    ["answer", SIDES]    a "different people" answer (common/answers.py)   (inverse: ["unanswer", SIDES])
    ["cover", FOLDER, BEFORE, AFTER]   the face that stands for a folder (face ids; None: the clearest)

Before any step runs, the action is recorded as pending; once all its steps ran, it moves to the done (or undone)
list. A kill in between leaves it pending, and the next start applies its steps again (a step already done is
skipped), so an action is never half done.
"""

import json
import os

from ..common import answers
from ..common.errors import UserError
from ..common.files import write_text
from ..output.clustered import REVIEW_HISTORY, apply_steps, check_steps, inverse_steps

EMPTY = {"done": [], "undone": [], "pending": None, "covers": {}}


def _inverse(steps):
    flipped = {"answer": "unanswer", "unanswer": "answer"}
    inverted = []
    for step in reversed(steps):
        if step[0] in flipped:
            inverted.append([flipped[step[0]], step[1]])
        elif step[0] == "cover":
            inverted.append(["cover", step[1], step[3], step[2]])
        else:
            inverted += inverse_steps([step])
    return inverted


class History:
    """The review's actions on one work folder: do, undo, redo, each atomic on disk."""

    def __init__(self, workdir, clustered):
        self.workdir = workdir
        self.clustered = clustered
        self.path = os.path.join(clustered, REVIEW_HISTORY)

    def read(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return json.loads(json.dumps(EMPTY))
        except (OSError, ValueError) as error:
            raise UserError(f"{self.path} is damaged ({error}); move it aside to start a new undo history "
                            "(your folders are not affected).") from None
        return dict(EMPTY, **data)

    def _write(self, data):
        write_text(self.path, json.dumps(data, indent=1) + "\n")

    def finish_pending(self):
        """Complete an action a killed app left pending (see the module's doc)."""
        data = self.read()
        if data["pending"]:
            self._run(data, data["pending"]["steps"])
            self._settle(data)

    def covers(self):
        return self.read()["covers"]

    def counts(self):
        data = self.read()
        return {"undo": len(data["done"]), "redo": len(data["undone"]),
                "next_undo": data["done"][-1]["label"] if data["done"] else None,
                "next_redo": data["undone"][-1]["label"] if data["undone"] else None}

    def do(self, label, steps):
        data = self.read()
        self._start(data, "do", {"label": label, "steps": steps}, steps)
        return label

    def undo(self):
        data = self.read()
        if not data["done"]:
            raise UserError("Nothing to undo.")
        action = data["done"][-1]
        self._start(data, "undo", action, _inverse(action["steps"]))
        return action["label"]

    def redo(self):
        data = self.read()
        if not data["undone"]:
            raise UserError("Nothing to redo.")
        action = data["undone"][-1]
        self._start(data, "redo", action, action["steps"])
        return action["label"]

    def _start(self, data, kind, action, steps):
        check_steps(self.clustered, [s for s in steps if s[0] in ("move", "mkdir", "rmdir")])
        data["pending"] = {"kind": kind, "action": action, "steps": steps}
        self._write(data)
        self._run(data, steps)
        self._settle(data)

    def _run(self, data, steps):
        folder_steps = []
        for step in steps + [None]:
            if step is not None and step[0] in ("move", "mkdir", "rmdir"):
                folder_steps.append(step)
                continue
            apply_steps(self.clustered, folder_steps)  # in order with the other kinds of step
            folder_steps = []
            if step is None:
                break
            if step[0] in ("answer", "unanswer"):
                recorded = answers.read_different(self.workdir)
                sides = (set(map(tuple, step[1][0])), set(map(tuple, step[1][1])))
                recorded = [a for a in recorded if a != sides]  # applying twice (a kill) records it once
                answers.write_different(self.workdir, recorded + ([sides] if step[0] == "answer" else []))
            elif step[0] == "cover":
                if step[3] is None:
                    data["covers"].pop(step[1], None)
                else:
                    data["covers"][step[1]] = step[3]
        for step in steps:  # a folder renamed or merged takes its chosen cover along
            if step[0] == "move" and "/" not in step[1] and step[1] in data["covers"] and "/" not in step[2]:
                data["covers"][step[2]] = data["covers"].pop(step[1])

    def _settle(self, data):
        pending = data.pop("pending")
        data["pending"] = None
        action = pending["action"]
        if pending["kind"] == "do":
            data["done"].append(action)
            data["undone"] = []
        elif pending["kind"] == "undo":
            data["done"].pop()
            data["undone"].append(action)
        else:
            data["undone"].pop()
            data["done"].append(action)
        self._write(data)
