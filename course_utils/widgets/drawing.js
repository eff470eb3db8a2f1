// drawing.js: the page side shared by the explorers: controls with labels, a redraw counter,
// pixel images (a canvas at the image's own size, scaled without blur, with an SVG overlay
// in cell units for outlines and numbers), and the colour-blind-safe palette (Okabe & Ito;
// signed values on ColorBrewer's RdBu, as the course's matplotlib figures).

export const COLOURS = {
  read: "#E69F00", tap: "#D55E00", selected: "#0072B2", good: "#009E73", bad: "#D55E00",
  padding: "#d9d9d9", grid: "#9e9e9e", text: "#222222", bar: "#56B4E9",
};
const SVG_NS = "http://www.w3.org/2000/svg";
const RDBU = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
  [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
  [103, 0, 31]];

export function html(tag, attrs = {}, children = []) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs = {}, children = []) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  if (["INPUT", "SELECT", "BUTTON"].includes(node.tagName) || "tabindex" in attrs) {
    keys(node);
  }
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") { node.textContent = value; }
    else if (key.startsWith("on")) { node.addEventListener(key.slice(2), value); }
    else if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(key, value === true ? "" : value);
    }
  }
  node.append(...children);
  return node;
}

// The explorer's frame: title, a row of controls, what is wrong with a typed field (see
// numberField), a message line (an impossible setting says why there, in place of the
// picture), the picture and notes. Key presses stay inside (but for Escape), so that the
// notebook's own key handlers leave the controls' keys alone; the shortcuts of lumino's
// command registry are kept off every control by keys() below.
export function frame(el, title) {
  const parts = {
    controls: html("div", {class: "course-controls"}),
    problems: html("div", {class: "course-explorer-problems", role: "alert",
                           id: uniqueId("problems")}),
    picture: html("div", {class: "course-explorer-picture"}),
    message: html("div", {class: "course-explorer-message", role: "alert"}),
    notes: html("div", {class: "course-notes"}),
    status: html("div", {class: "course-status", "aria-live": "polite"}),
    refused: new Map(), // typed field -> what is wrong with it
  };
  // A labelled region, not a <section>: inside a reveal.js slideshow (RISE) every <section>
  // is a slide, and an explorer's would break the deck's navigation.
  parts.root = html("div", {class: "course-explorer", role: "region", "aria-label": title,
                            "data-redraws": "0"},
                    [html("div", {class: "course-explorer-title", text: title}),
                     parts.controls, parts.problems, parts.message, parts.picture, parts.status,
                     parts.notes]);
  parts.root.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") { event.stopPropagation(); }
  });
  el.replaceChildren(parts.root);
  return parts;
}

// Make a node focusable, and keep the notebook's shortcuts off the keys pressed on it: lumino
// (JupyterLab, Notebook 7) would take an arrow key on a focused control for its own, as it does
// for a notebook in command mode, unless the control is marked data-lm-suppress-shortcuts.
export function keys(node) {
  node.setAttribute("data-lm-suppress-shortcuts", "true");
  if (!node.hasAttribute("tabindex") && !["INPUT", "SELECT", "BUTTON"].includes(node.tagName)) {
    node.setAttribute("tabindex", "0");
  }
  return node;
}

// Show a message in place of the picture (or, with "", the picture again).
export function say(parts, message) {
  parts.message.textContent = message ? `⚠ ${message}` : "";
  parts.picture.hidden = Boolean(message);
}

// Where the explorer runs. In JupyterLab, Notebook 7 or Colab a kernel answers what needs
// PyTorch. A page built from a notebook (the course's website, make site, and its slide decks,
// make slides) has no kernel: it says so by defining, before any explorer renders,
//   window.courseHost = {kernel: false, notebook: "07-mnist-convnet",
//                        run: {binder: "<Binder address>", colab: "<Colab address>"},
//                        assets: "_static/course"}
// (assets: the folder of the course's own files, relative to the page). host() is that object
// on such a page, and {kernel: true} everywhere else: the one place an explorer asks.
export function host() {
  const page = globalThis.courseHost;
  return page && page.kernel === false ? page : {kernel: true};
}

// Load one of the page's asset files (host().assets/name) as a classic script, once; the
// promise settles when it has run. Classic scripts load from file:// too, where fetch() and
// module imports of local files are refused.
const loaded = new Map();
export function loadScript(name) {
  const src = `${host().assets}/${name}`;
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((resolve, reject) => {
      const script = html("script", {src});
      script.addEventListener("load", () => resolve());
      script.addEventListener("error", () => reject(new Error(`could not load ${src}`)));
      document.head.append(script);
    }));
  }
  return loaded.get(src);
}

// A note inside the explorer for what only a kernel can do on a page without one, with links
// to run the notebook where one answers.
export function needsKernel(what) {
  const run = host().run || {};
  const links = [["Binder", run.binder], ["Colab", run.colab]].filter(([, url]) => url);
  const note = html("p", {class: "course-needs-kernel"},
                    [`${what} needs the notebook running with a kernel`]);
  if (links.length) {
    note.append(": run it on ");
    links.forEach(([name, url], k) => {
      if (k) { note.append(" or "); }
      note.append(html("a", {href: url, target: "_blank", rel: "noopener", text: name}));
    });
  }
  note.append(".");
  return note;
}

// A function that sets several traits and sends them to the kernel in one message.
export function committer(model) {
  return (values) => {
    for (const [key, value] of Object.entries(values)) { model.set(key, value); }
    model.save_changes();
  };
}

// Redraw once (before the next frame) whenever any of these traits changes, however many
// change at once.
export function redrawOn(model, keys, draw) {
  let pending = false;
  const later = () => {
    if (!pending) {
      pending = true;
      queueMicrotask(() => { pending = false; draw(); });
    }
  };
  for (const key of keys) { model.on(`change:${key}`, later); }
  return later;
}

// Count a finished redraw on the explorer's root (the browser tests time and watch this).
export function redrawn(parts) {
  parts.root.dataset.redraws = String(Number(parts.root.dataset.redraws) + 1);
}

// Ids tie labels to their controls; each explorer's copy of this module has its own prefix.
const PREFIX = `course-${Math.random().toString(36).slice(2, 10)}`;
let uid = 0;
export function uniqueId(kind) {
  return `${PREFIX}-${kind}-${++uid}`;
}

function labelled(text, input, readout) {
  input.id = uniqueId("control");
  return html("div", {class: "course-control"},
              [html("label", {for: input.id, text}), input, ...(readout ? [readout] : [])]);
}

// A range slider with its value written beside it; onInput fires while it is dragged.
export function slider(text, {min, max, value, step = 1, onInput}) {
  const input = html("input", {type: "range", min, max, step, value});
  const readout = html("output", {text: String(value)});
  input.addEventListener("input", () => {
    readout.textContent = input.value;
    onInput(Number(input.value));
  });
  const control = labelled(text, input, readout);
  readout.setAttribute("for", input.id);
  control.input = input;
  control.set = (v, high = Number(input.max)) => {
    input.max = String(high);
    input.value = String(v);
    readout.textContent = String(v);
  };
  return control;
}

export function choice(text, options, {value, onChange}) {
  const input = html("select", {onchange: () => onChange(input.value)},
                     options.map(([v, label]) => html("option", {value: v, text: label})));
  input.value = value;
  const control = labelled(text, input);
  control.input = input;
  return control;
}

export function checkbox(text, {checked, onChange}) {
  const input = html("input", {type: "checkbox", checked,
                               onchange: () => onChange(input.checked)});
  const control = labelled(text, input);
  control.input = input;
  return control;
}

export function button(text, onClick, attrs = {}) {
  return html("button", {type: "button", class: "course-button", text, onclick: onClick,
                         ...attrs});
}

// The digit control of an explorer whose kernel sends the chosen digit's data. With a kernel:
// a slider over all `count` digits. Without one: a menu of the digits the page holds (the
// explorer's `bank`, see bankedImage) and a note that the others need a kernel.
export function digitControl(parts, text, {count, value, bank, onChoose}) {
  if (host().kernel) {
    const control = slider(text, {min: 0, max: count - 1, value, onInput: onChoose});
    control.show = (v) => control.set(v, count - 1);
    return control;
  }
  const offered = bank.includes(value) ? bank : [...bank, value].sort((a, b) => a - b);
  const control = choice(text, offered.map((k) => [String(k), String(k)]),
                         {value: String(value), onChange: (v) => onChoose(Number(v))});
  control.show = (v) => { control.input.value = String(v); };
  if (count > offered.length) {
    parts.notes.append(needsKernel(`This page holds ${offered.length} of the ${count} digits; ` +
                                   "choosing any other"));
  }
  return control;
}

// Digit k's pixels (`size` float32 values) on a page without a kernel: from the explorer's
// bank (the digits `bank`, their pixels one after the other in `bank_images`), or, for the
// digit a notebook chose after the bank was made, the pixels the kernel last sent (`image`).
export function bankedImage(model, k, size) {
  const at = model.get("bank").indexOf(k);
  if (at < 0) { return floats(model.get("image")); }
  return floats(model.get("bank_images")).subarray(at * size, (at + 1) * size);
}

// Typed numbers. A number field is a text box (inputmode "decimal": a phone shows its number
// keys); readNumber reads what is typed, and only a finite number within the field's range
// reaches the explorer (onValue). Anything else is refused inside the explorer: the box is
// marked invalid (aria-invalid), the explorer's problems line quotes what was read and says
// what is expected, and the picture is marked as not matching the boxes (data-stale, faded)
// until every box holds a number again. The arrow keys up and down step the number.
export const FLOAT32_MAX = 3.4028234663852886e38; // the largest finite float32
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

// A number as the explorers write it: five significant digits, three decimals at most, an
// exponent when very large or very small (1.5e20), ∞ for an infinity.
export function formatNumber(v) {
  if (Number.isNaN(v)) { return "NaN"; }
  if (!Number.isFinite(v)) { return v > 0 ? "∞" : "-∞"; }
  const size = Math.abs(v);
  if (size !== 0 && (size >= 1e5 || size < 1e-3)) {
    return v.toExponential(3).replace(/\.?0*e\+?/, "e");
  }
  return String(Math.round(Number(v.toPrecision(5)) * 1000) / 1000);
}

// What a typed text holds: {value}, a finite number in [min, max], or {problem}: what was
// read and what is expected instead.
export function readNumber(text, {min = -FLOAT32_MAX, max = FLOAT32_MAX} = {}) {
  const typed = text.trim();
  const range = min === -FLOAT32_MAX && max === FLOAT32_MAX
    ? "within float32's range (-3.4e38 to 3.4e38)"
    : `from ${formatNumber(min)} to ${formatNumber(max)}`;
  const expected = `expected a number ${range}`;
  if (typed === "") { return {problem: `empty; ${expected}`}; }
  if (/^[+-]?\d*,\d+$/.test(typed)) {
    return {problem: `read "${typed}"; ${expected}, with a decimal point: ` +
      typed.replace(",", ".")};
  }
  if (!NUMBER.test(typed)) {
    return {problem: `read "${typed}", not a number; ${expected}, such as 1.5, -2 or 3e-4`};
  }
  const value = Number(typed);
  if (!(value >= min && value <= max)) {
    return {problem: `read "${typed}", out of range; ${expected}`};
  }
  return {value};
}

// How a box writes a value it is given: as JavaScript writes it, in exponent form when long.
function boxText(v) {
  return Math.abs(v) >= 1e9 ? v.toExponential() : String(v);
}

// A number field named `name` (its accessible name, and how its problems begin), within
// [min, max] (default: float32's range); `field.show(v)` writes the explorer's value into it.
export function numberField(parts, name, {value, min = -FLOAT32_MAX, max = FLOAT32_MAX,
                                          step = 1, onValue}) {
  const input = html("input", {type: "text", inputmode: "decimal", autocomplete: "off",
                               spellcheck: "false", class: "course-number", "aria-label": name,
                               "aria-describedby": parts.problems.id, "aria-invalid": "false"});
  let shown = null; // the explorer's value last written into the box
  const refuse = (problem) => {
    if (problem) { parts.refused.set(input, `${name}: ${problem}`); }
    else { parts.refused.delete(input); }
    input.setAttribute("aria-invalid", String(Boolean(problem)));
    showRefused(parts);
  };
  const take = () => {
    const read = readNumber(input.value, {min, max});
    refuse(read.problem);
    if (!read.problem) { onValue(read.value); }
  };
  input.addEventListener("input", take);
  input.addEventListener("keydown", (event) => {
    const sign = {ArrowUp: 1, ArrowDown: -1}[event.key];
    const read = readNumber(input.value, {min, max});
    if (!sign || read.problem) { return; }
    event.preventDefault();
    const next = Number((read.value + sign * step).toPrecision(12));
    input.value = boxText(Math.min(max, Math.max(min, next)));
    take();
  });
  // Keep what is being typed when it already reads as v, and a refused text the explorer's
  // value has not changed since; otherwise write v (and drop the refusal).
  input.show = (v) => {
    const read = readNumber(input.value, {min, max});
    const typing = document.activeElement === input && read.value === v;
    if (!typing && !(read.problem && v === shown)) {
      input.value = boxText(v);
      if (read.problem) { refuse(""); }
    }
    shown = v;
  };
  input.show(value);
  return input;
}

// The problems of the explorer's typed fields, one line each, and the picture marked stale
// while there is any.
function showRefused(parts) {
  const problems = [...parts.refused.values()];
  const before = parts.problems.textContent;
  parts.problems.replaceChildren(...problems.map((text) => html("div", {text: `⚠ ${text}`})));
  if (problems.length) {
    parts.problems.append(html("div", {text: "The picture shows the last values that were all " +
                                             "numbers, not what the boxes hold."}));
  }
  parts.picture.dataset.stale = String(problems.length > 0);
  if (parts.problems.textContent !== before) { redrawn(parts); }
}

// Float32 values from a binary trait (a DataView in the browser).
export function floats(view) {
  if (!view || !view.buffer) { return new Float32Array(0); }
  return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

// The colour of a signed value on RdBu, from -limit (blue) to limit (red), zero white;
// beyond the limit (±∞ too) the end colours, NaN the padding's grey.
export function signedColour(v, limit) {
  if (Number.isNaN(v)) { return [217, 217, 217]; }
  const t = Math.max(-1, Math.min(1, v / (limit || 1)));
  const x = (t + 1) / 2 * (RDBU.length - 1), k = Math.min(Math.floor(x), RDBU.length - 2);
  const f = x - k, [a, b] = [RDBU[k], RDBU[k + 1]];
  return [0, 1, 2].map((n) => Math.round(a[n] + (b[n] - a[n]) * f));
}

export function greyColour(v) {
  const g = Math.round(255 * (1 - Math.max(0, Math.min(1, v))));
  return [g, g, g];
}

// The largest finite size among values (1 when there is none): a colour limit.
export function limitOf(values) {
  let m = 0;
  for (const v of values) { if (Number.isFinite(v) && Math.abs(v) > m) { m = Math.abs(v); } }
  return m > 0 ? m : 1;
}

// A pixel image: a canvas of rows×cols pixels shown (at most `width` CSS pixels wide, less in
// a narrow notebook) without blur,
// under an SVG in cell units (cell (r, c) spans x c..c+1, y r..r+1) for outlines and text.
export function pixels(rows, cols, label, width) {
  const canvas = html("canvas", {width: cols, height: rows, "aria-hidden": "true"});
  const overlay = svg("svg", {viewBox: `0 0 ${cols} ${rows}`, preserveAspectRatio: "none",
                              "aria-hidden": "true"});
  const node = html("div", {class: "course-pixels", role: "img", "aria-label": label,
                            style: `width: 100%; max-width: ${width}px;` +
                              ` aspect-ratio: ${cols} / ${rows}`}, [canvas, overlay]);
  const paint = (colourOf) => {
    const context = canvas.getContext("2d");
    const image = context.createImageData(cols, rows);
    for (let k = 0; k < rows * cols; k++) {
      const [r, g, b] = colourOf(k);
      image.data.set([r, g, b, 255], 4 * k);
    }
    context.putImageData(image, 0, 0);
  };
  return {node, canvas, overlay, paint, rows, cols};
}

// A picture with its caption above, at most `width` CSS pixels wide (it shrinks with the
// notebook, in proportion with the panels beside it).
export function panel(caption, node, width) {
  return html("div", {class: "course-panel", style: `flex: 0 1 ${width}px`},
              [html("div", {class: "course-caption", text: caption}), node]);
}

// A rectangle outline over cells [r0, r1) × [c0, c1) of a pixel image's overlay.
export function outline(r0, c0, r1, c1, colour, extra = {}) {
  return svg("rect", {x: c0, y: r0, width: c1 - c0, height: r1 - r0, fill: "none",
                      stroke: colour, "stroke-width": 2, "vector-effect": "non-scaling-stroke",
                      ...extra});
}

// The cell under a pointer event on a pixel image, as [row, col], or null outside it.
export function cellAt(image, event) {
  const box = image.node.getBoundingClientRect();
  const c = Math.floor((event.clientX - box.left) / box.width * image.cols);
  const r = Math.floor((event.clientY - box.top) / box.height * image.rows);
  return r >= 0 && r < image.rows && c >= 0 && c < image.cols ? [r, c] : null;
}

// Arrow keys move a selected cell [row, col] inside rows×cols; true when the key was used.
export function moveCell(event, cell, rows, cols) {
  const steps = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
  const step = steps[event.key];
  if (!step) { return false; }
  event.preventDefault();
  cell[0] = Math.max(0, Math.min(rows - 1, cell[0] + step[0]));
  cell[1] = Math.max(0, Math.min(cols - 1, cell[1] + step[1]));
  return true;
}

// Horizontal probability bars (an SVG sized to its container); `rows` is [[label, p, colour]],
// `labels` the width kept for the labels.
export function bars(rows, caption, labels = 180) {
  const height = 22 * rows.length + 4;
  const node = svg("svg", {viewBox: `0 0 ${labels + 240} ${height}`, class: "course-bars",
                           role: "img", "aria-label": caption});
  rows.forEach(([label, p, colour], k) => {
    const y = 2 + 22 * k;
    node.append(
      svg("text", {x: labels - 2, y: y + 15, "text-anchor": "end", text: label}),
      svg("rect", {x: labels + 4, y: y + 3, width: Math.max(0.5, 190 * p), height: 16,
                   fill: colour}),
      svg("text", {x: labels + 8 + 190 * p, y: y + 15, text: p.toFixed(2)}));
  });
  return node;
}
