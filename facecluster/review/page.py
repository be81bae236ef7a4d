"""ClusteredFaces/index.html: one static page to review the people found (opens from disk, no server)."""

import html
import os
from collections import Counter, defaultdict
from urllib.parse import quote

from ..common.errors import UserError
from ..common.files import write_text
from ..output.clustered import cover_path, is_person_folder, montage_path, read_labels

TIMELINE_WIDTH, TIMELINE_HEIGHT = 360, 18


def _seconds(value):
    return float(value) if value not in ("", None) else None


def _clock(seconds):
    return "" if seconds is None else f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{seconds % 60:04.1f}"


def timeline_svg(times, duration):
    """A strip with a tick at each time a person is seen."""
    ticks = "".join(
        f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{TIMELINE_HEIGHT - 2}" stroke="#c0392b" stroke-width="2"/>'
        for x in sorted({round(t / duration * (TIMELINE_WIDTH - 4) + 2, 1) for t in times})
    )
    return (f'<svg class="timeline" width="{TIMELINE_WIDTH}" height="{TIMELINE_HEIGHT}" role="img">'
            f'<rect width="{TIMELINE_WIDTH}" height="{TIMELINE_HEIGHT}" fill="#eee"/>{ticks}</svg>')


def write_review_page(clustered):
    """(Re)write index.html from the folder as it is now, so renamed folders show their names."""
    state = read_labels(clustered)
    rows = {r["face_id"]: r for r in state.rows}
    members = defaultdict(list)
    for face_id, folder in state.folder_of.items():
        members[folder].append(rows[face_id])
    durations = defaultdict(float)
    for row in state.rows:
        if _seconds(row["timestamp"]) is not None:
            durations[row["video"]] = max(durations[row["video"]], _seconds(row["timestamp"]) + 1)

    people = sorted((f for f in members if is_person_folder(f)), key=lambda f: min(r["face_id"] for r in members[f]))
    overview = "".join(_overview_tile(clustered, folder, members[folder]) for folder in people)
    hints = _suggestions_section(clustered)
    sections = [_person_section(clustered, folder, members[folder], durations) for folder in people]
    others = [_others_section(folder, members[folder]) for folder in sorted(members) if not is_person_folder(folder)]
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Faces found</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
section {{ border-bottom: 1px solid #ccc; padding: 1em 0; display: flex; gap: 1.5em; }}
.overview {{ display: grid; grid-template-columns: repeat(auto-fill, 124px); gap: 10px; margin-bottom: 2em; }}
.overview a {{ text-decoration: none; color: inherit; font-size: 0.85em; overflow-wrap: anywhere; }}
.overview img {{ width: 112px; height: 112px; display: block; }}
.montage {{ width: 560px; max-width: 60vw; }}
.merges img {{ width: 64px; margin: 1px; }}
.merges td {{ padding: 4px 12px 4px 0; vertical-align: top; }}
figure {{ display: inline-block; margin: 2px; font-size: 0.75em; }}
.thumbs img {{ width: 80px; margin: 2px; }}
</style></head><body>
<h1>{len(people)} people</h1>
<p>Rename a folder to name its person, delete portraits that are wrong, move portraits between folders;
folders whose name starts with _ are ignored. Then run <code>python main.py export</code>, which rebuilds this page.</p>
<div class="overview">{overview}</div>
{hints}
{''.join(sections)}
{''.join(others)}
</body></html>
"""
    write_text(os.path.join(clustered, "index.html"), page)


def _suggestions_section(clustered):
    """Likely merges, nearest first, both folders' faces side by side; then the doubtful faces of each folder."""
    from .suggest import folder_encodings, suggest

    try:
        folders, encoder = folder_encodings(os.path.dirname(os.path.abspath(clustered)))
    except UserError:
        return ""  # no encodings beside this folder (copied elsewhere): nothing to compute suggestions from
    merges, doubtful = suggest(folders, encoder)
    img = lambda folder, i: f'<img src="{quote(folder)}/face_{i}.jpg" alt="">'  # noqa: E731
    rows = "".join(
        f'<tr><td>{m.distance:.2f}</td><td><a href="#{quote(m.first)}">{html.escape(m.first)}</a><br>'
        f'{"".join(img(m.first, i) for i in m.first_faces)}</td><td><a href="#{quote(m.second)}">'
        f'{html.escape(m.second)}</a><br>{"".join(img(m.second, i) for i in m.second_faces)}</td></tr>'
        for m in merges[:30])
    odd = "".join(f'<figure>{img(d.folder, d.face_id)}<figcaption>{html.escape(d.folder)} {d.distance:.2f}'
                  f'</figcaption></figure>' for d in doubtful[:60])
    return (f'<h2 class="hint">Likely the same person ({len(merges)})</h2><p>Nearest first: the mean distance between '
            f'the two folders\' faces ({encoder.name} scale). Merge by moving one folder\'s portraits into the other; '
            f'this list is recomputed from the folders as they are.</p><table class="merges">{rows}</table>'
            f'<h2 class="hint">Doubtful faces ({len(doubtful)})</h2><p>Far from the rest of their folder: likely '
            f'someone else. Move or delete them.</p><div class="thumbs">{odd}</div>')


def _cluster_of(rows):
    return Counter(r["cluster"] for r in rows).most_common(1)[0][0]


def _overview_tile(clustered, folder, rows):
    """One face per person, with its name and count: everyone at a glance, a link to their details."""
    cover = cover_path(_cluster_of(rows))
    image = (f'<img src="{quote(cover)}" alt="">' if os.path.exists(os.path.join(clustered, cover))
             else '<div style="width:112px;height:112px;background:#ddd"></div>')
    return f'<a href="#{quote(folder)}">{image}{html.escape(folder)}<br>{len(rows)} faces</a>'


def _person_section(clustered, folder, rows, durations):
    montage = montage_path(_cluster_of(rows))
    image = (f'<img class="montage" src="{quote(montage)}" alt="montage of {html.escape(folder)}">'
             if os.path.exists(os.path.join(clustered, montage)) else "")
    seen = sorted(rows, key=lambda r: r["face_id"])
    first, last = seen[0], seen[-1]
    timelines = "".join(
        f"<div>{html.escape(os.path.basename(video))} {timeline_svg([_seconds(r['timestamp']) for r in rows if r['video'] == video], durations[video])}</div>"
        for video in sorted({r["video"] for r in rows if _seconds(r["timestamp"]) is not None})
    )
    return f"""<section><div>{image}</div><div>
<h2 id="{html.escape(folder)}"><a href="{quote(folder)}/">{html.escape(folder)}</a></h2>
<p>{len(rows)} faces. First seen {html.escape(os.path.basename(first["video"]))} {_clock(_seconds(first["timestamp"]))},
last seen {html.escape(os.path.basename(last["video"]))} {_clock(_seconds(last["timestamp"]))}.</p>
{timelines}</div></section>
"""


def _others_section(folder, rows):
    thumbs = "".join(
        f'<img src="{quote(folder)}/{quote(os.path.basename(r["portrait_path"]))}" alt="">'
        for r in sorted(rows, key=lambda r: r["face_id"])[:24]
    )
    return f"""<section><div><h2 id="{html.escape(folder)}"><a href="{quote(folder)}/">{html.escape(folder)}</a></h2>
<p>{len(rows)} faces, not a person.</p><div class="thumbs">{thumbs}</div></div></section>
"""
