"""The Ultralytics layout: images/{train,val}/*.jpg, labels/{train,val}/*.txt beside them, and data.yaml."""

import os

import yaml


def files(out, names, train, valid):
    """{relative path: text} of the files only Ultralytics reads (the images and labels are shared)."""
    data = {"path": os.path.abspath(out), "train": "images/train", "val": "images/val",
            "names": dict(enumerate(names))}
    return {"data.yaml": yaml.safe_dump(data, sort_keys=False, allow_unicode=True)}
