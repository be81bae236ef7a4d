"""The Ultralytics layout: images/{train,val}/*.jpg, labels/{train,val}/*.txt beside them, and data.yaml.

data.yaml has no `path:` key, so that the dataset works wherever it is copied: Ultralytics'
check_det_dataset takes the dataset root from `path:` if given (a relative one against its own
DATASETS_DIR, not the YAML's folder), and otherwise from the folder the YAML file is in.
"""

import yaml


def files(names, train, valid):
    """{relative path: text} of the files only Ultralytics reads (the images and labels are shared)."""
    data = {"train": "images/train", "val": "images/val", "names": dict(enumerate(names))}
    return {"data.yaml": yaml.safe_dump(data, sort_keys=False, allow_unicode=True)}
