// conv1d_stepper.js: notebook 01's 1d convolution one output at a time, the page side (after
// geometry.js and drawing.js). The kernel sends every number once, written as the still
// picture (blocks.conv1d_steps) writes it; choosing the position only moves things here.

const CELL = 40; // CSS pixels per cell at most
const MIN_CELL = 32; // at least (more for long numbers): a long signal scrolls sideways
const MIN_TEXT = 11; // CSS pixels, the smallest number written
const NAMES = 2.5; // cells left of the rows for their names
const ROWS = {x: 0, u: 1.35, products: 2.7, outputs: 4.6}; // top of each row, in cells
const FUTURE = "#eeeeee"; // outputs not reached yet

// What output i adds up, word for word as the still picture writes it.
export function sumLine(numbers, i) {
  const terms = numbers.products[i].join(" + ").replaceAll("+ -", "− ");
  return `output ${i}: ${terms} = ${numbers.outputs[i]}`;
}

// A row of n cells from (0, y): its background (cells) and, drawn on top, its lines (gridLines).
function cells(y, n, fill, extra = {}) {
  return svg("rect", {x: 0, y, width: n, height: 1, fill, ...extra});
}

function gridLines(y, n) {
  const d = [`M0 ${y}h${n}M0 ${y + 1}h${n}`];
  for (let k = 0; k <= n; k++) { d.push(`M${k} ${y}v1`); }
  return svg("path", {d: d.join(""), fill: "none", stroke: COLOURS.grid, "stroke-width": 1,
                      "vector-effect": "non-scaling-stroke"});
}

function render({model, el}) {
  const parts = frame(el, "1d convolution, one output at a time");
  const numbers = model.get("numbers");
  const {x, u, products, outputs} = numbers;
  const w = u.length, last = outputs.length - 1, width = NAMES + x.length;
  // One size for every number, the longest fitting its cell.
  const longest = [x, u.map((v) => `×${v}`), products.flat(), outputs]
    .reduce((m, texts) => texts.reduce((n, t) => Math.max(n, t.length), m), 1);
  const size = Math.min(0.42, 1.6 / longest), least = Math.max(MIN_CELL, MIN_TEXT / size);
  const number = (cx, cy, text, attrs = {}) => svg("text", {
    x: cx, y: cy, text, "font-size": size, "text-anchor": "middle",
    "dominant-baseline": "central", fill: COLOURS.text, ...attrs});
  const commit = committer(model);
  const choose = (i) => {
    const to = Math.max(0, Math.min(last, i));
    if (to !== model.get("position")) { commit({position: to}); }
  };
  let timer = null;
  const position = slider("output position", {min: 0, max: last, value: model.get("position"),
                                              onInput: choose});
  const play = button("▶ play", () => (timer ? stop() : start()), {"aria-pressed": "false"});
  parts.controls.append(position, play);

  function start() {
    play.textContent = "⏸ pause";
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(() => commit({position: (model.get("position") + 1) % (last + 1)}),
                        model.get("interval_ms"));
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "▶ play";
    play.setAttribute("aria-pressed", "false");
  }

  // The picture, built once: the rows and their names, and what moves with the position
  // (the window, the kernel and its products, the sum's arrow, the chosen and future outputs).
  const windowCells = cells(ROWS.x, w, COLOURS.read, {class: "window"});
  const kernel = svg("g", {class: "kernel"}, [
    cells(0, w, COLOURS.read, {"fill-opacity": 0.35}),
    ...u.map((v, j) => number(j + 0.5, 0.5, `×${v}`)), gridLines(0, w)]);
  const productTexts = u.map((_, j) => number(j + 0.5, 0.5, ""));
  const productRow = svg("g", {class: "products"},
                         [cells(0, w, "#fff"), ...productTexts, gridLines(0, w)]);
  const arrow = svg("path", {fill: "none", stroke: COLOURS.text, "stroke-width": 1.5,
                             "vector-effect": "non-scaling-stroke"});
  const chosen = cells(ROWS.outputs, 1, COLOURS.selected);
  const chosenText = number(0.5, ROWS.outputs + 0.5, "", {fill: "#fff", "font-weight": 600,
                                                        class: "chosen"});
  const future = cells(ROWS.outputs, 0, FUTURE, {class: "future"});
  const names = [["x", ROWS.x], ["u", ROWS.u], ["products", ROWS.products],
                 ["x ⊛ u", ROWS.outputs]].map(([name, y]) => svg("text", {
    x: -0.3, y: y + 0.5, text: name, "font-size": 0.4, "text-anchor": "end",
    "dominant-baseline": "central", fill: COLOURS.text}));
  const picture = svg("svg", {
    viewBox: `${-NAMES} -0.1 ${width} ${ROWS.outputs + 1.2}`, role: "slider", tabindex: 0,
    "aria-label": "the kernel's position: arrow keys, Home and End move it",
    "aria-valuemin": 0, "aria-valuemax": last, class: "course-conv1d",
    "data-output-left": 0, "data-output-top": ROWS.outputs, // for the browser tests
    style: `display: block; width: 100%; height: auto; touch-action: none;` +
      ` max-width: ${Math.max(CELL, least) * width}px; min-width: ${least * width}px`}, [
    svg("g", {"aria-hidden": "true"}, [
      ...names,
      cells(ROWS.x, x.length, "#fff"), windowCells,
      ...x.map((v, k) => number(k + 0.5, ROWS.x + 0.5, v)), gridLines(ROWS.x, x.length),
      kernel, productRow, arrow,
      cells(ROWS.outputs, last + 1, "#fff"),
      ...outputs.map((v, k) => number(k + 0.5, ROWS.outputs + 0.5, v)),
      chosen, chosenText, future, gridLines(ROWS.outputs, last + 1)])]);
  const scroller = html("div", {style: "overflow-x: auto; max-width: 100%"}, [picture]);
  const sum = html("div", {class: "course-formula", style: "font-size: 14px"});
  parts.picture.append(sum, scroller);

  // The column under the pointer chooses the window that starts there; a drag slides it.
  const pick = (event) => {
    const point = new DOMPoint(event.clientX, event.clientY)
      .matrixTransform(picture.getScreenCTM().inverse());
    if (point.x >= 0) { choose(Math.floor(point.x)); }
  };
  picture.addEventListener("pointerdown", (event) => {
    picture.setPointerCapture(event.pointerId);
    pick(event);
  });
  picture.addEventListener("pointermove", (event) => {
    if (event.buttons & 1) { pick(event); }
  });
  picture.addEventListener("keydown", (event) => {
    const i = model.get("position");
    const to = {ArrowLeft: i - 1, ArrowDown: i - 1, ArrowRight: i + 1, ArrowUp: i + 1,
                Home: 0, End: last}[event.key];
    if (to !== undefined) {
      event.preventDefault();
      choose(to);
    }
  });

  // Keep the window in sight when the picture is wider than the notebook (read in the next
  // frame, when the layout is done anyway).
  function reveal(i) {
    if (scroller.scrollWidth <= scroller.clientWidth) { return; }
    const cell = picture.getBoundingClientRect().width / width;
    const left = (NAMES + i - 1) * cell, right = (NAMES + i + w + 1) * cell;
    if (left < scroller.scrollLeft) { scroller.scrollLeft = left; }
    else if (right > scroller.scrollLeft + scroller.clientWidth) {
      scroller.scrollLeft = right - scroller.clientWidth;
    }
  }

  function draw() {
    const i = model.get("position");
    position.set(i, last);
    windowCells.setAttribute("x", i);
    kernel.setAttribute("transform", `translate(${i} ${ROWS.u})`);
    productRow.setAttribute("transform", `translate(${i} ${ROWS.products})`);
    products[i].forEach((text, j) => { productTexts[j].textContent = text; });
    const below = ROWS.products + 1.08, top = ROWS.outputs - 0.06, end = i + 0.5;
    arrow.setAttribute("d", `M${i + 0.08} ${below}v0.14H${i + w - 0.08}v-0.14` +
      `M${i + w / 2} ${below + 0.14}L${end} ${top}M${end - 0.12} ${top - 0.2}L${end} ${top}` +
      `L${end + 0.12} ${top - 0.2}`);
    chosen.setAttribute("x", i);
    chosenText.setAttribute("x", end);
    chosenText.textContent = outputs[i];
    future.setAttribute("x", i + 1);
    future.setAttribute("width", last - i);
    const line = sumLine(numbers, i);
    sum.textContent = line;
    picture.setAttribute("aria-valuenow", i);
    picture.setAttribute("aria-valuetext", line);
    parts.status.textContent = `${line}: the window x[${i} : ${i + w}] = ` +
      `(${x.slice(i, i + w).join(", ")}) times the kernel u = (${u.join(", ")}), term by term`;
    requestAnimationFrame(() => reveal(i));
    redrawn(parts);
  }

  redrawOn(model, ["position"], draw);
  draw();
  return stop;
}

export default {render};
