"""The train/val split: whole blocks of video time go to one side, so val frames are not near-copies of train."""

import math
import random
from collections import defaultdict


def split_blocks(frames, val, block_seconds, seed):
    """({frame path: 'train' or 'val'}, number of blocks, number of val blocks).

    Image input has no time: each image is a block of its own.
    """
    blocks = defaultdict(list)
    for frame in frames:
        if frame["timestamp"]:
            key = (frame["video"], int(float(frame["timestamp"]) // block_seconds))
        else:
            key = (frame["video"], frame["frame_path"])
        blocks[key].append(frame["frame_path"])
    keys = sorted(blocks)
    random.Random(seed).shuffle(keys)
    val_blocks = set(keys[: math.ceil(val * len(keys))]) if val > 0 and len(keys) > 1 else set()
    side = {path: ("val" if key in val_blocks else "train") for key in keys for path in blocks[key]}
    return side, len(blocks), len(val_blocks)
