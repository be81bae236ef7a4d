"""The Darknet layout: obj.names, obj.data, and train.txt / valid.txt listing the images.

Darknet opens every path in obj.data and the image lists as given, relative to the folder it runs
in, and finds an image's labels by replacing `images` with `labels` in its path. All paths here are
relative to the dataset folder, so it works wherever it is copied: run darknet from inside it.
"""


def files(names, train, valid):
    """{relative path: text} of the files only Darknet reads (the images and labels are shared)."""
    return {
        "obj.names": "".join(n + "\n" for n in names),
        "train.txt": "".join(p + "\n" for p in train),
        "valid.txt": "".join(p + "\n" for p in valid),
        "obj.data": f"classes = {len(names)}\ntrain = train.txt\nvalid = valid.txt\nnames = obj.names\nbackup = backup/\n",
    }
