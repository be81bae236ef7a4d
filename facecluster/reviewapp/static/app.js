// The review app's page: keyboard first; every change is one request, and the page then reads the state again.
"use strict";

const token = document.body.dataset.token;
const $ = (id) => document.getElementById(id);
let state = null;          // /api/state
let view = "overview";     // overview | queue | person
let focusIndex = 0;        // the card or face under the keyboard cursor
let person = null;         // /api/folder/<id> of the open person
let selected = new Set();  // face ids selected in the open person
let anchor = null;         // where a Shift selection starts
let question = null;       // the question shown in the queue
let dragging = false;

async function api(path, body) {
  const options = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json", "X-Token": token }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) { toast(data.error || response.statusText); throw new Error(data.error); }
  return data;
}

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 3500);
}

function faceImg(id) {
  const img = document.createElement("img");
  img.loading = "lazy";  // a day's footage: images load as they scroll into view
  img.src = `/faces/${id}.jpg`;
  img.alt = `face ${id}`;
  img.dataset.face = id;
  return img;
}

function confirmBox(text) {
  return new Promise((resolve) => {
    $("dialogtext").textContent = text;
    $("dialog").hidden = false;
    $("dialogok").focus();
    const close = (answer) => { $("dialog").hidden = true; $("dialogok").onclick = $("dialogcancel").onclick = null; resolve(answer); };
    $("dialogok").onclick = () => close(true);
    $("dialogcancel").onclick = () => close(false);
    confirmBox.close = close;
  });
}

// Everyone at a glance
async function loadState() {
  state = await api("/api/state");
  const p = state.progress;
  $("progress").textContent = `${p.named} of ${p.people} named, ${p.questions} question${p.questions === 1 ? "" : "s"} left`;
  $("undo").disabled = !state.history.undo;
  $("redo").disabled = !state.history.redo;
  $("undo").title = state.history.next_undo ? `Undo: ${state.history.next_undo} (Ctrl+Z)` : "Nothing to undo";
  $("redo").title = state.history.next_redo ? `Redo: ${state.history.next_redo} (Ctrl+Shift+Z)` : "Nothing to redo";
  $("names").replaceChildren(...state.names.map((n) => Object.assign(document.createElement("option"), { value: n })));
  renderPeople();
}

function shownPeople() {
  const term = $("search").value.trim().toLowerCase();
  let people = state.people.filter((p) => !term || p.name.toLowerCase().includes(term));
  const by = { size: (a, b) => b.count - a.count, unnamed: (a, b) => a.named - b.named,
               doubt: (a, b) => b.doubt - a.doubt, first: () => 0 }[$("sort").value];
  const exact = (p) => (term && p.name.toLowerCase() === term ? 0 : 1);  // the name typed in full comes first
  return people.slice().sort((a, b) => exact(a) - exact(b) || b.person - a.person || by(a, b));
}

function renderPeople() {
  const cards = shownPeople().map((p, i) => {
    const card = document.createElement("div");
    card.className = `card${p.named ? "" : " unnamed"}${p.person ? "" : " other"}${i === focusIndex && view === "overview" ? " focused" : ""}`;
    card.dataset.id = p.id;
    const name = Object.assign(document.createElement("div"), { className: "name", textContent: p.name });
    const info = Object.assign(document.createElement("div"), {
      textContent: `${p.count} face${p.count === 1 ? "" : "s"} · ${p.first}${p.last !== p.first ? " – " + p.last : ""}` });
    card.append(faceImg(p.cover), name, info);
    card.onclick = () => openPerson(p.id);
    return card;
  });
  $("people").replaceChildren(...cards);
}

function show(which) {
  view = which;
  for (const v of ["overview", "queue", "person"]) $(v).hidden = v !== which;
  if (which === "overview") { renderPeople(); focusCard(); }
}

function focusCard() {
  const cards = $("people").children;
  focusIndex = Math.max(0, Math.min(focusIndex, cards.length - 1));
  [...cards].forEach((c, i) => c.classList.toggle("focused", i === focusIndex));
  if (cards[focusIndex]) cards[focusIndex].scrollIntoView({ block: "nearest" });
}

function columns(grid) {
  const items = grid.children;
  if (items.length < 2) return 1;
  const top = items[0].offsetTop;
  let n = 0;
  while (n < items.length && items[n].offsetTop === top) n++;
  return Math.max(1, n);
}

// The "same person?" queue
async function openQueue() {
  const data = await api("/api/question");
  question = data.question;
  show("queue");
  const body = $("qbody");
  if (!question) {
    $("qtitle").textContent = "No questions left.";
    body.replaceChildren(Object.assign(document.createElement("p"), { textContent: "Every pair of folders that could be one person has been answered. Esc goes back." }));
    return;
  }
  const side = (s) => {
    const div = Object.assign(document.createElement("div"), { className: "side" });
    div.append(Object.assign(document.createElement("h3"), { textContent: `${s.name} (${s.count} face${s.count === 1 ? "" : "s"})` }));
    s.faces.forEach((f) => div.append(faceImg(f)));
    return div;
  };
  if (question.kind === "pair") {
    $("qtitle").textContent = `Same person? (${data.left} left; distance ${question.distance})`;
    body.replaceChildren(side(question.a), side(question.b));
  } else {
    $("qtitle").textContent = `Is this ${question.b.name}? (${data.left} left; distance ${question.distance})`;
    const lone = Object.assign(document.createElement("div"), { className: "lone" });
    lone.append(Object.assign(document.createElement("h3"), { textContent: `An unclustered face, ${question.seen}` }), faceImg(question.face));
    body.replaceChildren(lone, side(question.b));
  }
}

async function answer(reply) {
  if (!question) return;
  await api("/api/answer", { key: question.key, answer: reply });
  if (reply === "yes") toast(question.kind === "pair" ? "Merged." : `Moved into ${question.b.name}.`);
  if (reply === "no") toast("Remembered: different people.");
  await loadState();
  await openQueue();
}

// A person's faces
async function openPerson(id, keep) {
  person = await api(`/api/folder/${id}`);
  if (!keep) { selected = new Set(); focusIndex = 0; anchor = null; }
  const here = new Set(person.faces.map((f) => f.id));
  selected = new Set([...selected].filter((id) => here.has(id)));  // faces moved away meanwhile
  show("person");
  $("name").value = person.name;
  $("facecount").textContent = `${person.faces.length} face${person.faces.length === 1 ? "" : "s"}, most doubtful first`;
  renderFaces();
}

function renderFaces() {
  const tiles = person.faces.map((f, i) => {
    const tile = document.createElement("div");
    tile.className = "face";
    tile.dataset.face = f.id;
    tile.title = `face ${f.id}, ${f.seen}${f.track !== null ? ", track " + f.track : ""}; distance to the rest ${f.doubt}`;
    tile.append(faceImg(f.id), Object.assign(document.createElement("span"), { className: "doubt", textContent: f.doubt.toFixed(2) }));
    tile.onmousedown = (e) => { e.preventDefault(); clickFace(i, e); dragging = true; };
    tile.onmouseenter = () => { if (dragging) { selected.add(f.id); focusIndex = i; paintFaces(); } };
    tile.ondblclick = () => openFrame(f.id);
    return tile;
  });
  $("faces").replaceChildren(...tiles);
  paintFaces();
}

function paintFaces() {
  focusIndex = Math.max(0, Math.min(focusIndex, person.faces.length - 1));
  [...$("faces").children].forEach((tile, i) => {
    const id = person.faces[i].id;
    tile.classList.toggle("selected", selected.has(id));
    tile.classList.toggle("focused", i === focusIndex);
    tile.classList.toggle("cover", id === person.cover);
  });
  $("selected").textContent = `${selected.size} selected`;
  const tile = $("faces").children[focusIndex];
  if (tile) tile.scrollIntoView({ block: "nearest" });
}

function clickFace(i, e) {
  const id = person.faces[i].id;
  if (e.shiftKey && anchor !== null) {
    selectRange(anchor, i);
  } else if (e.ctrlKey || e.metaKey) {
    selected.has(id) ? selected.delete(id) : selected.add(id);
    anchor = i;
  } else {
    selected = new Set([id]);
    anchor = i;
  }
  focusIndex = i;
  paintFaces();
}

function selectRange(from, to) {
  const [a, b] = from < to ? [from, to] : [to, from];
  for (let k = a; k <= b; k++) selected.add(person.faces[k].id);
}

function chosenFaces() {
  if (selected.size) return [...selected];
  return person.faces.length ? [person.faces[focusIndex].id] : [];
}

async function moveTo(target) {
  const faces = chosenFaces();
  if (!faces.length) return;
  const body = { faces, ...target };
  if (target.name !== undefined && !state.names.includes(target.name) &&
      !state.people.some((p) => p.name === target.name)) {
    if (!(await confirmBox(`There is nobody called "${target.name}". Make a new person of that name?`))) return;
    body.create = true;
  }
  await api("/api/move", body);
  toast(`Moved ${faces.length} face${faces.length === 1 ? "" : "s"}.`);
  selected = new Set();
  await refreshPerson();
}

async function refreshPerson() {
  await loadState();
  const still = state.people.find((p) => p.id === person.id);
  if (still) await openPerson(person.id, true); else show("overview");
}

async function renameTo(name) {
  name = name.trim();
  if (!name || name === person.name) return;
  let reply = await api("/api/rename", { folder: person.id, name });
  if (reply.confirm) {
    if (!(await confirmBox(reply.confirm))) return;
    reply = await api("/api/rename", { folder: person.id, name, confirm: true });
  }
  toast(`Named ${name}.`);
  await loadState();
  const now = state.people.find((p) => p.name === name);
  if (now) await openPerson(now.id); else show("overview");
}

async function openFrame(faceId) {
  const data = await api(`/api/frame/${faceId}`);
  $("frameinfo").textContent = `${data.seen}: ${data.faces.length} face${data.faces.length === 1 ? "" : "s"} in this frame`;
  const box = $("framebox");
  const img = document.createElement("img");
  img.src = `/frames/${faceId}.jpg`;
  img.alt = "frame";
  box.replaceChildren(img);
  img.onload = () => {
    const scale = img.clientWidth / data.width;
    for (const f of data.faces) {
      const [top, right, bottom, left] = f.box;
      const div = Object.assign(document.createElement("div"), { className: `box${f.id === faceId ? " this" : ""}` });
      Object.assign(div.style, { left: `${left * scale}px`, top: `${top * scale}px`,
        width: `${(right - left) * scale}px`, height: `${(bottom - top) * scale}px` });
      div.append(Object.assign(document.createElement("span"), { textContent: f.folder || "deleted" }));
      if (f.folder_id) div.onclick = () => { $("frame").hidden = true; openPerson(f.folder_id); };
      box.append(div);
    }
  };
  $("frame").hidden = false;
}

async function undoRedo(which) {
  const reply = await api(`/api/${which}`, {});
  toast(`${which === "undo" ? "Undone" : "Redone"}: ${reply.done}.`);
  await loadState();
  if (view === "person") await refreshPerson();
  if (view === "queue") await openQueue();
}

async function exportDataset() {
  if (!(await confirmBox("Write the training set (Dataset/) from the folders as they are now?"))) return;
  const reply = await api("/api/export", {});
  await confirmBox(reply.lines.join("\n"));
}

// Keys
function overlayOpen() {
  return ["dialog", "frame", "help"].find((id) => !$(id).hidden);
}

document.addEventListener("mouseup", () => { dragging = false; });

document.addEventListener("keydown", async (e) => {
  const open = overlayOpen();
  if (open === "dialog") {
    if (e.key === "Enter") { e.preventDefault(); confirmBox.close(true); }
    if (e.key === "Escape") { e.preventDefault(); confirmBox.close(false); }
    return;
  }
  if (open) { if (e.key === "Escape" || e.key === "?") { $(open).hidden = true; e.preventDefault(); } return; }
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
    if (typing) return;  // a text field's own undo
    e.preventDefault();
    await undoRedo(e.shiftKey ? "redo" : "undo");
    return;
  }
  if (typing) {
    const field = document.activeElement;
    if (e.key === "Escape") { field.blur(); if (field.id === "name" && person) field.value = person.name; e.preventDefault(); }
    if (e.key === "Enter" && field.id === "name") { e.preventDefault(); field.blur(); await renameTo(field.value); }
    if (e.key === "Enter" && field.id === "moveto") {
      e.preventDefault(); const name = field.value.trim(); field.value = ""; field.blur();
      if (name) await moveTo({ name });
    }
    if (e.key === "Enter" && field.id === "search") { e.preventDefault(); field.blur(); focusIndex = 0; focusCard(); }
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const key = e.key;
  if (key === "?") { $("help").hidden = false; return; }
  if (key === "q") { e.preventDefault(); await openQueue(); return; }
  if (key === "/") { e.preventDefault(); show("overview"); $("search").focus(); $("search").select(); return; }
  if (key === "e") { e.preventDefault(); await exportDataset(); return; }
  if (key === "Escape") {
    e.preventDefault();
    if (view === "person" && selected.size) { selected = new Set(); paintFaces(); } else { await loadState(); show("overview"); }
    return;
  }
  if (view === "overview") {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns($("people")), ArrowUp: -columns($("people")) }[key];
    if (step) { e.preventDefault(); focusIndex += step; focusCard(); }
    if (key === "Enter") { const card = $("people").children[focusIndex]; if (card) await openPerson(card.dataset.id); }
  } else if (view === "queue") {
    const reply = { y: "yes", n: "no", s: "skip" }[key];
    if (reply) { e.preventDefault(); await answer(reply); }
  } else if (view === "person") {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns($("faces")), ArrowUp: -columns($("faces")) }[key];
    if (step) {
      e.preventDefault();
      const from = focusIndex;
      focusIndex = Math.max(0, Math.min(person.faces.length - 1, focusIndex + step));
      if (e.shiftKey) { if (anchor === null) anchor = from; selectRange(anchor, focusIndex); } else anchor = focusIndex;
      paintFaces();
      return;
    }
    const id = person.faces.length ? person.faces[focusIndex].id : null;
    if (key === " ") { e.preventDefault(); if (id !== null) { selected.has(id) ? selected.delete(id) : selected.add(id); anchor = focusIndex; paintFaces(); } }
    if (key === "a") { e.preventDefault(); selected = new Set(person.faces.map((f) => f.id)); paintFaces(); }
    if (key === "r") { e.preventDefault(); $("name").focus(); $("name").select(); }
    if (key === "m") { e.preventDefault(); $("moveto").focus(); }
    if (key === "p") { e.preventDefault(); await moveTo({ to: "new" }); }
    if (key === "x") { e.preventDefault(); await moveTo({ to: "not_a_face" }); }
    if (key === "w") { e.preventDefault(); await moveTo({ to: "not_wanted" }); }
    if (key === "f" && id !== null) { e.preventDefault(); await openFrame(id); }
    if (key === "c" && id !== null) { e.preventDefault(); await api("/api/cover", { folder: person.id, face: id }); toast("Cover changed."); await refreshPerson(); }
    if (key === "t" && id !== null) {
      e.preventDefault();
      const track = await api(`/api/track/${id}`);
      track.faces.forEach((f) => selected.add(f));
      paintFaces();
      toast(`Selected the track: ${track.faces.length} face${track.faces.length === 1 ? "" : "s"}.`);
    }
  }
});

for (const back of document.querySelectorAll(".back")) back.onclick = async (e) => { e.preventDefault(); await loadState(); show("overview"); };
$("search").oninput = () => { focusIndex = 0; renderPeople(); };
$("sort").onchange = () => { focusIndex = 0; renderPeople(); $("sort").blur(); };
$("ask").onclick = openQueue;
$("undo").onclick = () => undoRedo("undo");
$("redo").onclick = () => undoRedo("redo");
$("export").onclick = exportDataset;
$("helpbutton").onclick = () => { $("help").hidden = false; };
$("yes").onclick = () => answer("yes");
$("no").onclick = () => answer("no");
$("skip").onclick = () => answer("skip");
$("rename").onclick = () => renameTo($("name").value);
$("tonew").onclick = () => moveTo({ to: "new" });
$("tonotface").onclick = () => moveTo({ to: "not_a_face" });
$("tonotwanted").onclick = () => moveTo({ to: "not_wanted" });
$("openframe").onclick = () => chosenFaces().length && openFrame(chosenFaces()[0]);
$("cover").onclick = async () => { const f = chosenFaces()[0]; if (f !== undefined) { await api("/api/cover", { folder: person.id, face: f }); await refreshPerson(); } };
$("track").onclick = async () => {
  const f = chosenFaces()[0];
  if (f === undefined) return;
  const track = await api(`/api/track/${f}`);
  track.faces.forEach((x) => selected.add(x));
  paintFaces();
};
$("moveto").onchange = null;
for (const overlay of ["frame", "help"]) $(overlay).onclick = (e) => { if (e.target === $(overlay)) $(overlay).hidden = true; };

// The secret came in the address; the cookie now carries it: keep it out of the address bar and history.
if (location.search.includes("token=")) history.replaceState(null, "", "/");
loadState().then(focusCard);
