"""The Darknet layout: obj.names, obj.data, and train.txt / valid.txt listing the images."""

import os


def files(out, names, train, valid):
    """{relative path: text} of the files only Darknet reads (the images and labels are shared)."""
    absolute = os.path.abspath(out)
    listing = lambda images: "".join(os.path.join(absolute, p) + "\n" for p in images)  # noqa: E731
    return {
        "obj.names": "".join(n + "\n" for n in names),
        "train.txt": listing(train),
        "valid.txt": listing(valid),
        "obj.data": f"classes = {len(names)}\ntrain = {os.path.join(absolute, 'train.txt')}\n"
                    f"valid = {os.path.join(absolute, 'valid.txt')}\nnames = {os.path.join(absolute, 'obj.names')}\n"
                    f"backup = {os.path.join(absolute, 'backup')}\n",
    }
