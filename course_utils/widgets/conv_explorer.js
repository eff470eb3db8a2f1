// conv_explorer.js: the convolution-arithmetic explorer's page side (with geometry.js and
// drawing.js before it). Every control redraws here, at once; the kernel only confirms the
// output shape with a real nn.Conv2d (the "check" trait) a moment later.

const PARAMS = [["size", "input size"], ["kernel", "kernel k"], ["stride", "stride s"],
  ["padding", "padding p"], ["dilation", "dilation d"]];
const GAP = 2; // cells between the input grid and the output grid

function settings(model) {
  const pick = (key) => model.get(key);
  return {size: [pick("height"), pick("width")], kernel: pick("kernel"), stride: pick("stride"),
          padding: pick("padding"), dilation: pick("dilation"),
          transposed: pick("transposed")};
}

function axesOf(s) {
  return [0, 1].map((a) => new Axis(s.kernel[a], s.stride[a], s.padding[a], s.dilation[a],
                                    s.transposed));
}

function render({model, el}) {
  const parts = frame(el, "Convolution arithmetic explorer");
  let view = null; // the drawn geometry: its grids and the cells to recolour
  let preview = null; // an output cell under the pointer, shown without being chosen
  let timer = null;

  const mode = choice("mode", [["conv", "convolution"], ["transposed", "transposed convolution"]],
                      {value: model.get("transposed") ? "transposed" : "conv",
                       onChange: (v) => commit({transposed: v === "transposed"})});
  const same = checkbox("same for both axes", {checked: model.get("linked"),
                                               onChange: (v) => commit({linked: v})});
  const sliders = {};
  const table = html("div", {class: "course-axes", role: "group", "aria-label": "geometry"},
                     [html("span"), html("span", {text: "rows (H)"}),
                      html("span", {text: "columns (W)"})]);
  for (const [key, label] of PARAMS) {
    table.append(html("span", {text: label}));
    sliders[key] = [0, 1].map((a) => {
      const control = slider(a ? "columns" : "rows", {
        min: key === "padding" ? 0 : 1, max: model.get("limits")[key], value: 1,
        onInput: (v) => setParam(key, a, v)});
      control.input.setAttribute("aria-label", `${label}, ${a ? "columns" : "rows"}`);
      table.append(control);
      return control;
    });
  }
  const play = button("▶ play", () => (timer ? stop() : start()), {"aria-pressed": "false"});
  parts.controls.append(mode, same, play, table);

  const line = html("input", {class: "course-code", readonly: true, "aria-label": "PyTorch layer",
                              size: 60});
  const copy = button("copy", () => {
    line.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(line.value).catch(() => {}); }
  });
  const formulas = html("div", {class: "course-formulas"});
  const check = html("div", {class: "course-check"});
  parts.notes.append(formulas, html("div", {class: "course-code-line"}, [line, copy]), check);

  const commit = committer(model);

  function setParam(key, a, v) {
    const both = model.get("linked");
    if (key === "size") {
      commit(both ? {height: v, width: v} : {[a ? "width" : "height"]: v});
      return;
    }
    const pair = [...model.get(key)];
    pair[a] = v;
    if (both) { pair[1 - a] = v; }
    commit({[key]: pair});
  }

  function start() {
    play.textContent = "⏸ pause";
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(() => {
      if (!view) { return stop(); }
      const [rows, cols] = view.output;
      const [i, j] = model.get("position");
      const next = (i * cols + j + 1) % (rows * cols);
      commit({position: [Math.floor(next / cols), next % cols]});
    }, model.get("interval_ms"));
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "▶ play";
    play.setAttribute("aria-pressed", "false");
  }

  function build() {
    const s = settings(model);
    mode.input.value = s.transposed ? "transposed" : "conv";
    same.input.checked = model.get("linked");
    const limits = model.get("limits");
    for (const [key] of PARAMS) {
      sliders[key].forEach((control, a) => control.set(s[key][a], limits[key]));
    }
    const [rows, cols] = axesOf(s);
    line.value = layerLine(rows, cols);
    let output;
    try {
      output = [rows.outputSize(s.size[0]), cols.outputSize(s.size[1])];
    } catch (err) {
      if (!(err instanceof GeometryError)) { throw err; }
      view = null;
      say(parts, err.message);
      formulas.replaceChildren();
      parts.status.textContent = "";
      redrawn(parts);
      return;
    }
    say(parts, "");
    formulas.replaceChildren(...[rows.formula(s.size[0], "H"), cols.formula(s.size[1], "W")]
      .map((text) => html("div", {class: "course-formula", text})));
    view = draw(s, rows, cols, output);
    const [i, j] = model.get("position");
    if (i >= output[0] || j >= output[1]) {
      commit({position: [Math.min(i, output[0] - 1), Math.min(j, output[1] - 1)]});
      return; // the change of position draws the taps
    }
    highlight();
  }

  // The grids for one geometry: padded input (or, transposed, the input and the output
  // before padding crops it), a layer for the taps and the chosen cell. Few elements (grid
  // lines are one path each) keep a rebuild within a frame; the pointer is mapped to a cell
  // from its coordinates.
  function draw(s, rows, cols, output) {
    const [H, W] = s.size, [pr, pc] = s.padding, t = s.transposed;
    const inRows = t ? H : H + 2 * pr, inCols = t ? W : W + 2 * pc;
    const outRows = t ? output[0] + 2 * pr : output[0], outCols = t ? output[1] + 2 * pc : output[1];
    const x1 = inCols + GAP, offset = t ? [pr, pc] : [0, 0]; // output cell (0, 0) at x1 + offset
    const hatch = uniqueId("hatch");
    const picture = svg("svg", {
      viewBox: `-0.05 -0.05 ${x1 + outCols + 0.1} ${Math.max(inRows, outRows) + 0.1}`,
      class: "course-conv", tabindex: 0, role: "application",
      "aria-label": "output cells: arrow keys choose one",
      "data-output-left": x1 + offset[1], "data-output-top": offset[0],
      style: `max-width: ${34 * (x1 + outCols)}px`}, [
      svg("defs", {}, [svg("pattern", {id: hatch, width: 0.25, height: 0.25,
                                       patternUnits: "userSpaceOnUse",
                                       patternTransform: "rotate(45)"},
                           [svg("line", {x1: 0, y1: 0, x2: 0, y2: 0.25, stroke: "#8c8c8c",
                                         "stroke-width": 0.04})])])]);
    // A grid: its background, the border `frame` cells thick (padding) hatched, its lines.
    const grid = (x0, rowsN, colsN, fill, frame) => {
      const [fr, fc] = frame;
      const parts_ = [svg("rect", {x: x0, y: 0, width: colsN, height: rowsN, class: "pad"}),
                      svg("rect", {x: x0 + fc, y: fr, width: colsN - 2 * fc,
                                   height: rowsN - 2 * fr, class: fill})];
      const strips = [[0, 0, colsN, fr], [0, rowsN - fr, colsN, fr],
                      [0, fr, fc, rowsN - 2 * fr], [colsN - fc, fr, fc, rowsN - 2 * fr]];
      for (const [x, y, w, h] of strips) {
        if (w > 0 && h > 0) {
          parts_.push(svg("rect", {x: x0 + x, y, width: w, height: h,
                                   fill: `url(#${hatch})`}));
        }
      }
      const lines = [];
      for (let r = 0; r <= rowsN; r++) { lines.push(`M${x0} ${r}H${x0 + colsN}`); }
      for (let c = 0; c <= colsN; c++) { lines.push(`M${x0 + c} 0V${rowsN}`); }
      return [...parts_, svg("path", {d: lines.join(""), class: "lines"})];
    };
    const taps = svg("g"), dots = svg("g", {class: "dots"});
    const chosen = svg("rect", {width: 1, height: 1, class: "chosen"});
    const span = svg("rect", {class: "span", fill: "none"});
    picture.append(...grid(0, inRows, inCols, "in", t ? [0, 0] : [pr, pc]),
                   ...grid(x1, outRows, outCols, "out", offset), taps, chosen, span, dots);
    const caption = html("div", {class: "course-caption", text: (t ? `input ${H}×${W}`
      : `input ${H}×${W}, padding (${pr}, ${pc}) → ${inRows}×${inCols}`) + "   →   " +
      (t && (pr || pc) ? `output ${output[0]}×${output[1]} (padding crops ${pr}, ${pc})`
        : `output ${output[0]}×${output[1]}`)});
    const cellAtPointer = (event) => {
      const point = new DOMPoint(event.clientX, event.clientY)
        .matrixTransform(picture.getScreenCTM().inverse());
      const cell = [Math.floor(point.y - offset[0]), Math.floor(point.x - x1 - offset[1])];
      return cell[0] >= 0 && cell[1] >= 0 && cell[0] < output[0] && cell[1] < output[1]
        ? cell : null;
    };
    picture.addEventListener("pointermove", (event) => {
      const cell = cellAtPointer(event);
      if (String(cell) !== String(preview)) { preview = cell; highlight(); }
    });
    picture.addEventListener("pointerleave", () => { preview = null; highlight(); });
    picture.addEventListener("click", (event) => {
      const cell = cellAtPointer(event);
      if (cell) { preview = null; commit({position: cell}); }
    });
    picture.addEventListener("keydown", (event) => {
      const cell = [...model.get("position")];
      if (moveCell(event, cell, ...output)) { commit({position: cell}); }
    });
    const focused = parts.picture.contains(document.activeElement);
    parts.picture.replaceChildren(caption, picture);
    if (focused) { picture.focus(); }
    return {s, rows, cols, output, taps, dots, chosen, span, x1, offset};
  }

  // Colour the taps of the chosen (or pointed-at) output cell; write what it reads.
  function highlight() {
    if (!view) { return; }
    const {s, rows, cols, output, taps, dots, chosen, span, x1, offset} = view;
    const [i, j] = preview || model.get("position");
    const fp = footprint(s.size[0], s.size[1], rows, cols, i, j);
    const shift = s.transposed ? [0, 0] : s.padding;
    const [H, W] = s.size;
    const cells = [], marks = [];
    for (const r of fp.rows) {
      for (const c of fp.cols) {
        if (r === null || c === null) { continue; }
        const onInput = r >= 0 && r < H && c >= 0 && c < W;
        cells.push(svg("rect", {x: c + shift[1], y: r + shift[0], width: 1, height: 1,
                                class: onInput ? "tap" : "tap-pad"}));
        marks.push(svg("circle", {cx: c + shift[1] + 0.5, cy: r + shift[0] + 0.5, r: 0.12}));
      }
    }
    taps.replaceChildren(...cells);
    dots.replaceChildren(...marks);
    chosen.setAttribute("x", x1 + offset[1] + j);
    chosen.setAttribute("y", offset[0] + i);
    const real = (values) => values.filter((v) => v !== null);
    const [r0, c0] = [Math.min(...real(fp.rows)), Math.min(...real(fp.cols))];
    const [r1, c1] = [Math.max(...real(fp.rows)), Math.max(...real(fp.cols))];
    const visible = real(fp.rows).length && real(fp.cols).length;
    span.setAttribute("visibility", visible ? "visible" : "hidden");
    if (visible) {
      span.setAttribute("x", c0 + shift[1]);
      span.setAttribute("y", r0 + shift[0]);
      span.setAttribute("width", c1 - c0 + 1);
      span.setAttribute("height", r1 - r0 + 1);
    }
    const read = fp.reads.length === 1 ? "1 input cell" : `${fp.reads.length} input cells`;
    parts.status.textContent = `output cell (${i}, ${j}) of ${output[0]}×${output[1]} ` +
      `reads ${read}: rows ${describe(rows, s.size[0], i)}; ` +
      `columns ${describe(cols, s.size[1], j)}`;
    redrawn(parts);
  }

  function describe(axis, size, index) {
    const {stride: s, padding: p, dilation: d} = axis;
    const taps = axis.window(index, size).map((v) => (
      v === null ? "–" : v < 0 || v >= size ? `${v} (padding)` : String(v)));
    const rule = axis.transposed ? `(${index} + ${p} − j·${d}) / ${s}`
      : `${index}·${s} − ${p} + j·${d}`;
    return `${rule} for j = 0…${axis.kernel - 1} → ${taps.join(", ")}`;
  }

  function showCheck() {
    const shape = model.get("check");
    const s = settings(model);
    const current = JSON.stringify([s.size, s.kernel, s.stride, s.padding, s.dilation,
                                    s.transposed]);
    if (!shape || shape.key !== current) { // not checked yet, or, without a kernel, never
      check.replaceChildren(...(host().kernel ? []
        : [needsKernel("PyTorch's check of this shape")]));
      return;
    }
    if (shape.error) { check.textContent = `PyTorch refuses too: ${shape.error}`; return; }
    const agrees = view && shape.shape[2] === view.output[0] && shape.shape[3] === view.output[1];
    const when = host().kernel ? "in the kernel" : "when the notebook ran";
    check.textContent = `PyTorch, ${when}: ${line.value} on a 1×1×${s.size[0]}×${s.size[1]}` +
      ` input gives (${shape.shape.join(", ")}): ${agrees ? "agrees ✓" : "DISAGREES ✗"}`;
  }

  // Several traits can change in one step (both axes at once): draw once, before the frame.
  let pending = null;
  const later = (what) => {
    if (pending === "build") { return; }
    if (pending === null) {
      queueMicrotask(() => {
        const job = pending;
        pending = null;
        if (job === "build") { build(); showCheck(); } else { highlight(); }
      });
    }
    pending = what;
  };
  const geometry = ["height", "width", "kernel", "stride", "padding", "dilation", "transposed",
                    "linked", "limits"];
  for (const key of geometry) { model.on(`change:${key}`, () => later("build")); }
  model.on("change:position", () => later("highlight"));
  model.on("change:check", showCheck);
  build();
  showCheck();
  return stop;
}

export default {render};
