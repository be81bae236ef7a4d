"""`make check-dataset`: does Ultralytics accept and train on the exported Dataset/, copied elsewhere?

    .venv-ultralytics/bin/python tools/check_dataset.py [DATASET]    (default: Dataset)

Copies the dataset to a fresh temporary folder (nothing of yours is touched or deleted), runs
Ultralytics' own dataset check on the copy's data.yaml, then trains a small model built from its
YAML (yolov8n.yaml: no weights to download) for one epoch on the CPU, and says what it saw.
"""

import os
import shutil
import sys
import tempfile


def main(dataset="Dataset"):
    if not os.path.isfile(os.path.join(dataset, "data.yaml")):
        sys.exit(f"{dataset} has no data.yaml; run 'python main.py export' first.")
    os.environ.setdefault("YOLO_OFFLINE", "1")  # there is no network: never try to download anything
    from ultralytics import YOLO
    from ultralytics.data.utils import check_det_dataset

    with tempfile.TemporaryDirectory(prefix="check_dataset_") as scratch:
        copy = os.path.join(scratch, "copied", "dataset")
        shutil.copytree(dataset, copy)
        info = check_det_dataset(os.path.join(copy, "data.yaml"))
        images = {k: len(os.listdir(info[k])) if os.path.isdir(info[k]) else 0 for k in ("train", "val")}
        print(f"Ultralytics' check: {info['nc']} classes {list(info['names'].values())}, "
              f"{images['train']} train and {images['val']} val images, root {info['path']}")
        results = YOLO("yolov8n.yaml").train(
            data=os.path.join(copy, "data.yaml"), epochs=1, imgsz=320, batch=8, device="cpu", workers=0,
            plots=False, amp=False, project=os.path.join(scratch, "runs"), name="check", verbose=False)
        print(f"Trained yolov8n from scratch for one epoch on the copy (val mAP50 "
              f"{results.results_dict.get('metrics/mAP50(B)', float('nan')):.3f}: one epoch learns little, this checks "
              "that every file is found and read); the dataset trains from wherever it is copied.")


if __name__ == "__main__":
    main(*sys.argv[1:])
