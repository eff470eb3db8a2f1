// pooling_explorer.js: the pooling explorer's page side (after geometry.js and drawing.js).
// Kernel, stride, max/average and the chosen output cell redraw here (pool2d); another digit
// comes from the kernel, or, on a page without one, from the bank the page holds.

const WIDTH = 280; // CSS pixels of the input at most; the output keeps the same pixel scale

function render({model, el}) {
  const parts = frame(el, "Pooling explorer");
  let preview = null;
  const source = choice("pool", [["digit", "an MNIST digit"], ["grid", "a grid of numbers"]],
                        {value: model.get("source"), onChange: (v) => commit({source: v})});
  const kernelHere = host().kernel;
  const digit = digitControl(parts, "digit", {count: model.get("count"),
                                              value: model.get("digit"), bank: model.get("bank"),
                                              onChoose: (v) => commit({digit: v})});
  const kernel = slider("kernel", {min: 1, max: 8, value: model.get("kernel"),
                                   onInput: (v) => commit({kernel: v})});
  const stride = slider("stride", {min: 1, max: 8, value: model.get("stride"),
                                   onInput: (v) => commit({stride: v})});
  const mode = choice("pooling", [["max", "max"], ["avg", "average"]],
                      {value: model.get("mode"), onChange: (v) => commit({mode: v})});
  parts.controls.append(source, digit, kernel, stride, mode);

  const commit = committer(model);

  function input() {
    if (model.get("source") === "grid") {
      const grid = model.get("grid");
      return {values: Float32Array.from(grid.flat()), rows: grid.length, cols: grid[0].length,
              top: 9, numbers: true};
    }
    const [rows, cols] = model.get("shape");
    const values = kernelHere ? floats(model.get("image"))
      : bankedImage(model, model.get("digit"), rows * cols);
    return {values, rows, cols, top: 1, numbers: false};
  }

  function draw() {
    const x = input();
    const k = model.get("kernel"), s = model.get("stride"), how = model.get("mode");
    source.input.value = model.get("source");
    mode.input.value = how;
    digit.show(model.get("digit"));
    digit.input.disabled = x.numbers;
    kernel.set(k, 8);
    stride.set(s, 8);
    let out;
    try {
      out = pool2d(x.values, x.rows, x.cols, k, s, how);
    } catch (err) {
      if (!(err instanceof GeometryError)) { throw err; }
      say(parts, err.message);
      redrawn(parts);
      return;
    }
    say(parts, "");
    let [i, j] = preview || model.get("cell");
    if (i >= out.rows || j >= out.cols) {
      [i, j] = [Math.min(i, out.rows - 1), Math.min(j, out.cols - 1)];
      if (!preview) { commit({cell: [i, j]}); return; }
    }
    const scale = Math.min(WIDTH / x.cols, 36);
    const name = how === "max" ? "max" : "average";
    const shownIn = pixels(x.rows, x.cols, `input ${x.rows}×${x.cols}`, scale * x.cols);
    shownIn.paint((n) => greyColour(x.values[n] / x.top));
    const shownOut = pixels(out.rows, out.cols, `${name} pooled ${out.rows}×${out.cols}`,
                            scale * out.cols);
    shownOut.paint((n) => greyColour(out.values[n] / x.top));
    keys(shownOut.node);
    // Where windows start (faint lines), the chosen window, and for max what it keeps.
    const starts = [];
    for (let r = 0; r < out.rows; r++) { starts.push(`M0 ${r * s}H${x.cols}`); }
    for (let c = 0; c < out.cols; c++) { starts.push(`M${c * s} 0V${x.rows}`); }
    shownIn.overlay.append(svg("path", {d: starts.join(""), stroke: COLOURS.bar,
                                        "stroke-width": 1, "vector-effect": "non-scaling-stroke"}),
                           outline(i * s, j * s, i * s + k, j * s + k, COLOURS.read));
    const winner = out.winners[i * out.cols + j];
    if (winner >= 0) {
      const [r, c] = [Math.floor(winner / x.cols), winner % x.cols];
      shownIn.overlay.append(outline(r + 0.2, c + 0.2, r + 0.8, c + 0.8, COLOURS.tap));
    }
    shownOut.overlay.append(outline(i, j, i + 1, j + 1, COLOURS.selected, {"stroke-width": 3}));
    if (x.numbers) {
      const write = (image, values, digits) => values.forEach((v, n) => image.overlay.append(
        svg("text", {x: n % image.cols + 0.5, y: Math.floor(n / image.cols) + 0.5,
                     text: String(Math.round(v * 10 ** digits) / 10 ** digits),
                     fill: v > x.top / 2 ? "#fff" : "#222"})));
      write(shownIn, x.values, 0);
      write(shownOut, out.values, 2);
    }
    shownOut.node.addEventListener("pointermove", (event) => {
      const cell = cellAt(shownOut, event);
      if (cell && (!preview || cell[0] !== preview[0] || cell[1] !== preview[1])) {
        preview = cell;
        later();
      }
    });
    shownOut.node.addEventListener("pointerleave", () => { preview = null; later(); });
    shownOut.node.addEventListener("click", (event) => {
      const cell = cellAt(shownOut, event);
      if (cell) { preview = null; commit({cell}); }
    });
    shownOut.node.addEventListener("keydown", (event) => {
      const cell = [...model.get("cell")];
      if (moveCell(event, cell, out.rows, out.cols)) { commit({cell}); }
    });
    const focused = parts.picture.contains(document.activeElement);
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(`input ${x.rows}×${x.cols}: a window starts every ${s} cells`, shownIn.node,
            scale * x.cols),
      panel(`${name} pooling, kernel ${k}, stride ${s} → ${out.rows}×${out.cols}`,
            shownOut.node, Math.max(scale * out.cols, 120))]));
    if (focused) { shownOut.node.focus(); }
    const value = out.values[i * out.cols + j];
    parts.status.textContent = `output (${i}, ${j}) = ${name} of input rows ${i * s}–` +
      `${i * s + k - 1}, columns ${j * s}–${j * s + k - 1} = ` +
      `${Math.round(value * 1000) / 1000}`;
    redrawn(parts);
  }

  // With a kernel, another digit is drawn when its pixels arrive, not when it is asked for.
  const later = redrawOn(model, ["kernel", "stride", "mode", "source", "cell", "image", "shape",
                                 "grid", ...(kernelHere ? [] : ["digit"])], draw);
  if (kernelHere) { model.on("change:digit", () => digit.show(model.get("digit"))); }
  draw();
}

export default {render};
