// activation_explorer.js: the activation-map explorer's page side (after geometry.js and
// drawing.js). A digit's maps and probabilities come from the network: the kernel's (a test
// digit, or the ink drawn on the pad, sent as it is drawn), or, on a page without a kernel,
// the same network exported to ONNX and run here by ONNX Runtime Web (course-onnx.js, written
// by course_utils.onnx_export), on the drawing or on a digit of the bank the page holds. The
// layer, the map and the unit are chosen here: every map of the layer as tiles, the chosen one
// enlarged beside its filter, and one unit of it opened up (what each input channel adds).

const COLUMNS = 8; // tiles per row in a mosaic
const BRUSH = {pen: 5, eraser: 9}; // radius in ink pixels (4 per pixel of the 28×28 digit)
const NETWORK = ["onnx/course-onnx.js", "lecture-net.onnx"]; // course_utils.onnx_export's names

// Tile `count` maps of rows×cols (values, map after map) with one-pixel gaps.
function mosaic(values, count, rows, cols, columns) {
  const lines = Math.ceil(count / columns);
  const height = lines * (rows + 1) - 1, width = columns * (cols + 1) - 1;
  const tiles = new Float32Array(height * width).fill(NaN);
  for (let m = 0; m < count; m++) {
    const top = Math.floor(m / columns) * (rows + 1), left = (m % columns) * (cols + 1);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        tiles[(top + r) * width + left + c] = values[(m * rows + r) * cols + c];
      }
    }
  }
  return {tiles, height, width, lines};
}

// Area-averaging weights nOut×nIn, row after row (course_utils.digits.area_weights).
export function areaWeights(nIn, nOut) {
  const weights = new Float64Array(nOut * nIn);
  for (let o = 0; o < nOut; o++) {
    const low = (o * nIn) / nOut, high = ((o + 1) * nIn) / nOut;
    for (let i = 0; i < nIn; i++) {
      const covered = Math.min(high, i + 1) - Math.max(low, i);
      weights[o * nIn + i] = covered > 0 ? covered * (nOut / nIn) : 0;
    }
  }
  return weights;
}

// The pad's ink (pad×pad values 0..255) as an MNIST digit, side×side values in [0, 1], as
// course_utils.digits.mnist_style makes it: the ink's bounding box resampled by area averaging
// to `box` pixels on its longer side, pasted so that its centre of mass is nearest to pixel
// (side/2, side/2). null when there is no ink.
export function mnistStyle(ink, pad, {side, box, tie}) {
  let r0 = pad, r1 = -1, c0 = pad, c1 = -1;
  for (let r = 0; r < pad; r++) {
    for (let c = 0; c < pad; c++) {
      if (ink[r * pad + c] > 0) {
        r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
      }
    }
  }
  if (r1 < 0) { return null; }
  const h = r1 - r0 + 1, w = c1 - c0 + 1, scale = box / Math.max(h, w);
  const th = Math.max(1, Math.floor(h * scale + 0.5));
  const tw = Math.max(1, Math.floor(w * scale + 0.5));
  const down = areaWeights(h, th), across = areaWeights(w, tw);
  const rows = new Float64Array(th * w); // the rows resampled first
  for (let o = 0; o < th; o++) {
    for (let i = 0; i < h; i++) {
      const weight = down[o * h + i];
      if (!weight) { continue; }
      for (let c = 0; c < w; c++) {
        rows[o * w + c] += weight * (ink[(r0 + i) * pad + c0 + c] / 255);
      }
    }
  }
  const small = new Float64Array(th * tw);
  let total = 0, ry = 0, rx = 0;
  for (let o = 0; o < th; o++) {
    for (let p = 0; p < tw; p++) {
      let v = 0;
      for (let c = 0; c < w; c++) { v += rows[o * w + c] * across[p * w + c]; }
      small[o * tw + p] = v;
      total += v; ry += o * v; rx += p * v;
    }
  }
  const top = Math.ceil(side / 2 - 0.5 - ry / total - tie);
  const left = Math.ceil(side / 2 - 0.5 - rx / total - tie);
  const out = new Float32Array(side * side);
  for (let o = Math.max(0, -top); o < th && top + o < side; o++) {
    for (let p = Math.max(0, -left); p < tw && left + p < side; p++) {
      out[(top + o) * side + left + p] = small[o * tw + p];
    }
  }
  return out;
}

// An MNIST digit (values in [0, 1]) normalised as the course normalises MNIST.
export function normalised(pixels, {mean, std}) {
  return pixels.map((v) => (v - mean) / std);
}

// One stroke segment from `from` to `to` ([row, col] in ink pixels) painted into the ink
// (pad×pad, 0..255) with a round brush of `radius` and a soft edge one pixel wide; the eraser
// takes ink away instead.
export function paintStroke(ink, pad, from, to, radius, erase = false) {
  const [y0, x0] = from, [y1, x1] = to, dy = y1 - y0, dx = x1 - x0, length2 = dy * dy + dx * dx;
  const reach = radius + 1;
  const top = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const bottom = Math.min(pad - 1, Math.ceil(Math.max(y0, y1) + reach));
  const left = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const right = Math.min(pad - 1, Math.ceil(Math.max(x0, x1) + reach));
  for (let r = top; r <= bottom; r++) {
    for (let c = left; c <= right; c++) {
      const py = r + 0.5, px = c + 0.5;
      const t = length2 ? Math.max(0, Math.min(1, ((py - y0) * dy + (px - x0) * dx) / length2)) : 0;
      const cover = Math.max(0, Math.min(1, radius + 0.5 - Math.hypot(py - y0 - t * dy,
                                                                       px - x0 - t * dx)));
      if (cover > 0) {
        const k = r * pad + c;
        ink[k] = erase ? Math.min(ink[k], Math.round(255 * (1 - cover)))
          : Math.max(ink[k], Math.round(255 * cover));
      }
    }
  }
}

// Unit (o, r, c) of a convolution, opened up: each input channel's contribution (its kh×kw
// window of the input times the filter's channel, summed), their sum, the bias, the unit's
// value and its ReLU. `input`: channels×h×w values; `weights`: out×channels×kh×kw.
export function openUnit(input, [channels, h, w], weights, bias, [kh, kw], o, r, c) {
  const contributions = new Float64Array(channels);
  let sum = 0;
  for (let i = 0; i < channels; i++) {
    let s = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        s += weights[((o * channels + i) * kh + a) * kw + b] * input[(i * h + r + a) * w + c + b];
      }
    }
    contributions[i] = s;
    sum += s;
  }
  const value = sum + bias[o];
  return {contributions, sum, bias: bias[o], value, relu: Math.max(0, value)};
}

// The windows unit (r, c) reads, one kh×kw tile per input channel (channels·kh·kw values).
function windows(input, [channels, h, w], [kh, kw], r, c) {
  const out = new Float32Array(channels * kh * kw);
  for (let i = 0; i < channels; i++) {
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        out[(i * kh + a) * kw + b] = input[(i * h + r + a) * w + c + b];
      }
    }
  }
  return out;
}

// Signed columns, one per input channel, each with its value as a tooltip.
function contributionBars(values, caption) {
  const n = values.length, width = 12 * n + 8, height = 120, middle = height / 2;
  const limit = limitOf(values);
  const node = svg("svg", {viewBox: `0 0 ${width} ${height + 16}`, class: "course-bars",
                           role: "img", "aria-label": caption,
                           style: `max-width: ${Math.min(420, 3 * width)}px`});
  node.append(svg("line", {x1: 2, x2: width - 2, y1: middle, y2: middle, stroke: COLOURS.grid}));
  values.forEach((v, i) => {
    const size = Math.abs(v) / limit * (middle - 4);
    const [r, g, b] = signedColour(v, limit);
    node.append(svg("rect", {x: 5 + 12 * i, y: v >= 0 ? middle - size : middle, width: 9,
                             height: Math.max(0.5, size), fill: `rgb(${r}, ${g}, ${b})`,
                             "data-channel": i},
                    [svg("title", {text: `channel ${i}: ${v.toFixed(4)}`})]));
    if (i % 8 === 0) {
      node.append(svg("text", {x: 5 + 12 * i, y: height + 12, text: String(i)}));
    }
  });
  return node;
}

function render({model, el}) {
  const parts = frame(el, "Activation maps");
  const layers = model.get("layers");
  const kernelHere = host().kernel;
  const commit = committer(model);
  const {pad: PAD} = model.get("preprocessing");
  const ink = new Uint8Array(PAD * PAD);
  let drawing = model.get("drawn"); // the pad's ink, not a test digit, is shown
  let brush = "pen";
  let trouble = ""; // why the page cannot run the network, on a page without a kernel

  const digit = digitControl(parts, "test digit", {
    count: model.get("count"), value: model.get("index"), bank: model.get("bank"),
    onChoose: (k) => chooseDigit(k)});
  const layer = choice("layer", layers.map((l) => [l.name, `${l.name}: ${l.maps[0]} maps`]),
                       {value: model.get("layer"),
                        onChange: (v) => commit({layer: v, channel: 0, unit: [0, 0]})});
  const channel = slider("map", {min: 0, max: 1, value: model.get("channel"),
                                 onInput: (v) => commit({channel: v})});
  parts.controls.append(digit, layer, channel);

  // The drawing pad: ink pad×pad shown enlarged; pen, eraser and clear.
  const canvas = html("canvas", {width: PAD, height: PAD, class: "course-pad",
                                 role: "img", "aria-label": "drawing pad: draw a digit with " +
                                   "the mouse, a pen or a finger"});
  const tools = Object.fromEntries(["pen", "eraser"].map((name) => [name, button(name, () => {
    brush = name;
    for (const [other, b] of Object.entries(tools)) {
      b.setAttribute("aria-pressed", String(other === brush));
    }
  }, {"aria-pressed": String(name === brush)})]));
  const clear = button("clear", () => { ink.fill(0); drawing = true; showInk(); answerInk(); });
  const padNode = html("div", {class: "course-panels"}, [
    panel("draw a digit here", canvas, 224),
    html("div", {class: "course-panel", style: "flex: 0 1 260px"}, [
      html("div", {class: "course-caption", text: "Draw a digit with the mouse, a pen or a " +
        "finger: it is made an MNIST digit (scaled into 20×20, centred by its centre of " +
        "mass in 28×28) and the network answers as you draw."}),
      html("div", {class: "course-code-line"}, [tools.pen, tools.eraser, clear])])]);
  parts.picture.before(padNode);

  function showInk() {
    const context = canvas.getContext("2d");
    const image = context.createImageData(PAD, PAD);
    for (let k = 0; k < PAD * PAD; k++) {
      const g = 255 - ink[k];
      image.data.set([g, g, g, 255], 4 * k);
    }
    context.putImageData(image, 0, 0);
  }

  let last = null;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientY - box.top) / box.height * PAD,
            (event.clientX - box.left) / box.width * PAD];
  };
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    if (!drawing) { ink.fill(0); drawing = true; }
    last = at(event);
    paintStroke(ink, PAD, last, last, BRUSH[brush], brush === "eraser");
    showInk();
    answerInk();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) { return; }
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const move of moves.length ? moves : [event]) {
      const next = at(move);
      paintStroke(ink, PAD, last, next, BRUSH[brush], brush === "eraser");
      last = next;
    }
    showInk();
    answerInk();
  });
  for (const type of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(type, () => { last = null; });
  }

  const noInk = () => drawing && !ink.some((v) => v > 0);

  // The network in the page (no kernel): one run at a time, the latest request next.
  let network = null, running = false, next = null;
  function pageNetwork() {
    if (!network) { parts.root.dataset.network = "loading"; }
    network ||= loadScript(NETWORK[0])
      .then(() => globalThis.courseOnnx.session(NETWORK[1]))
      .then(async (net) => {
        await net.run({image: [floats(model.get("image")), [1, 1, 28, 28]]}); // warm up
        if (net.meta.digest !== model.get("digest")) {
          parts.notes.append(html("p", {text: "This page's network is not quite the one this " +
            "notebook ran: its weights come from another training run (the site was built " +
            "with another saved model), so its answers can differ a little from the figures."}));
        }
        parts.root.dataset.network = "ready";
        return net;
      });
    network.catch(() => { parts.root.dataset.network = "failed"; });
    return network;
  }
  function request(job) {
    next = job;
    if (running) { return; }
    running = true;
    (async () => {
      while (next) {
        const todo = next;
        next = null;
        try {
          await todo();
          trouble = "";
        } catch (err) {
          if (!trouble) { parts.notes.append(needsKernel("Drawing a digit or choosing another")); }
          trouble = `The network cannot run in this page (${err.message || err}).`;
          draw();
        }
      }
      running = false;
    })();
  }
  const view = (values) => new DataView(values.buffer, values.byteOffset, values.byteLength);
  async function answerInPage(image, label, drawn, index) {
    const net = await pageNetwork();
    const out = await net.run({image: [image, [1, 1, 28, 28]]});
    if (drawn !== drawing) { return; } // the learner moved on meanwhile
    const maps = {}, inputs = {};
    for (const info of layers) {
      maps[info.name] = view(out[info.name].data);
      inputs[info.name] = view(out[`${info.name}.input`].data);
    }
    model.set({image: view(image), maps, inputs, label, drawn, error: "",
               probabilities: Array.from(out.probabilities.data), index});
  }

  function answerInk() {
    if (noInk()) { draw(); return; }
    if (kernelHere) {
      commit({ink: view(ink.slice())});
      return;
    }
    const prepared = model.get("preprocessing");
    request(() => answerInPage(normalised(mnistStyle(ink, PAD, prepared), prepared), -1, true,
                               model.get("index")));
  }

  function chooseDigit(k) {
    drawing = false;
    ink.fill(0);
    showInk();
    if (kernelHere) {
      commit({index: k, ink: new DataView(new ArrayBuffer(0))});
      return;
    }
    const label = model.get("bank_labels")[model.get("bank").indexOf(k)];
    request(() => answerInPage(bankedImage(model, k, 28 * 28), label, false, k));
  }

  function signedImage(values, rows, cols, label, width, limit) {
    const image = pixels(rows, cols, label, width);
    image.paint((k) => (Number.isNaN(values[k]) ? [255, 255, 255]
      : signedColour(values[k], limit)));
    return image;
  }

  function unitPanel(info, c, maps) {
    const [, rows, cols] = info.maps, [inputs, kh, kw] = info.filters.slice(1);
    const [r, col] = model.get("unit").map((v, k) => Math.min(v, [rows, cols][k] - 1));
    const input = floats(model.get("inputs")[info.name]);
    const weights = floats(model.get("filters")[info.name]);
    const unit = openUnit(input, info.inputs, weights, floats(model.get("biases")[info.name]),
                          [kh, kw], c, r, col);
    const read = windows(input, info.inputs, [kh, kw], r, col);
    const tiles = mosaic(read, inputs, kh, kw, Math.min(inputs, COLUMNS));
    const what = `what unit (${r}, ${col}) reads: ${inputs}×${kh}×${kw}`;
    let seen;
    if (info === layers[0]) { // the first layer reads the digit: shown as the digit is
      const {mean, std} = model.get("preprocessing");
      seen = pixels(tiles.height, tiles.width, what, 110);
      seen.paint((k) => greyColour(tiles.tiles[k] * std + mean));
    } else {
      seen = signedImage(tiles.tiles, tiles.height, tiles.width, what, 220, limitOf(read));
    }
    const value = maps[(c * rows + r) * cols + col];
    const lines = [
      `sum over the ${inputs} input channel${inputs > 1 ? "s" : ""} of window × filter: ` +
        `${unit.sum.toFixed(4)}`,
      `+ bias ${unit.bias.toFixed(4)} = ${unit.value.toFixed(4)} (the map's value: ` +
        `${value.toFixed(4)})`,
      `ReLU: max(0, ${unit.value.toFixed(4)}) = ${unit.relu.toFixed(4)}`];
    const formula = html("div", {class: "course-formula course-unit"},
                         lines.map((text) => html("div", {text})));
    const after = html("div", {class: "course-caption", text: "LectureNet takes the ReLU " +
      "after the max-pool; max(0, ·) and the max of a window commute, so this is what the " +
      "unit passes on when it wins its window."});
    return html("div", {class: "course-panels"}, [
      panel(`unit (${r}, ${col}) of map ${c} reads these windows of ${info.name}'s input`,
            seen.node, inputs > 1 ? 220 : 110),
      html("div", {class: "course-panel", style: "flex: 0 1 420px"}, [
        ...(inputs > 1 ? [
          html("div", {class: "course-caption",
                       text: `each input channel's contribution to unit (${r}, ${col})`}),
          contributionBars(unit.contributions, `contributions of the ${inputs} input ` +
                           `channels to unit (${r}, ${col}) of map ${c}`)] : []),
        formula, after])]);
  }

  function draw() {
    const info = layers.find((l) => l.name === model.get("layer")) || layers[0];
    const [count, rows, cols] = info.maps;
    const [, inputs, kh, kw] = info.filters;
    const c = Math.min(model.get("channel"), count - 1);
    const drawn = model.get("drawn");
    digit.show(model.get("index"));
    layer.input.value = info.name;
    channel.set(c, count - 1);
    if (noInk()) {
      say(parts, "The pad has no ink: draw a digit on it, or pick a test digit.");
      redrawn(parts);
      return;
    }
    say(parts, model.get("error") || "");
    if (trouble) {
      parts.message.textContent = `⚠ ${trouble}`;
      parts.picture.hidden = false;
    }
    const maps = floats(model.get("maps")[info.name]);
    const limit = limitOf(maps);
    const label = model.get("label"), probs = model.get("probabilities");
    const predicted = probs.indexOf(Math.max(...probs));
    const name = drawn ? "your drawing" : `test digit ${model.get("index")}`;

    const image = floats(model.get("image"));
    const {mean, std} = model.get("preprocessing");
    const shownDigit = pixels(28, 28, drawn ? "your drawing as the network sees it"
      : `test digit ${model.get("index")}, label ${label}`, 150);
    shownDigit.paint((k) => greyColour(image[k] * std + mean));

    const all = mosaic(maps, count, rows, cols, COLUMNS);
    const tiles = signedImage(all.tiles, all.height, all.width,
                              `${count} maps of ${info.name}; map ${c} is outlined`, 300, limit);
    const top = Math.floor(c / COLUMNS) * (rows + 1), left = (c % COLUMNS) * (cols + 1);
    tiles.overlay.append(outline(top - 0.5, left - 0.5, top + rows + 0.5, left + cols + 0.5,
                                 COLOURS.read));
    keys(tiles.node);
    tiles.node.addEventListener("click", (event) => {
      const cell = cellAt(tiles, event);
      if (!cell) { return; }
      const m = Math.floor(cell[0] / (rows + 1)) * COLUMNS + Math.floor(cell[1] / (cols + 1));
      if (m < count) { commit({channel: m}); }
    });
    tiles.node.addEventListener("keydown", (event) => {
      const cell = [Math.floor(c / COLUMNS), c % COLUMNS];
      if (moveCell(event, cell, all.lines, COLUMNS)) {
        commit({channel: Math.min(count - 1, cell[0] * COLUMNS + cell[1])});
      }
    });

    const map = maps.subarray(c * rows * cols, (c + 1) * rows * cols);
    const unit = model.get("unit").map((v, k) => Math.min(v, [rows, cols][k] - 1));
    const big = signedImage(map, rows, cols, `map ${c} of ${info.name}; unit (${unit[0]}, ` +
                            `${unit[1]}) is outlined: click a unit or use the arrow keys`,
                            150, limit);
    big.overlay.append(outline(unit[0], unit[1], unit[0] + 1, unit[1] + 1, COLOURS.selected,
                               {class: "course-unit-cell"}));
    keys(big.node);
    big.node.classList.add("course-map");
    big.node.addEventListener("click", (event) => {
      const cell = cellAt(big, event);
      if (cell) { commit({unit: cell}); }
    });
    big.node.addEventListener("keydown", (event) => {
      const cell = [...unit];
      if (moveCell(event, cell, rows, cols)) { commit({unit: cell}); }
    });
    const weights = floats(model.get("filters")[info.name])
      .subarray(c * inputs * kh * kw, (c + 1) * inputs * kh * kw);
    const kernels = mosaic(weights, inputs, kh, kw, Math.min(inputs, COLUMNS));
    const filter = signedImage(kernels.tiles, kernels.height, kernels.width,
                               `the filter of map ${c}: ${inputs}×${kh}×${kw}`,
                               inputs > 1 ? 220 : 110, limitOf(weights));
    const rowsOfBars = probs.map((p, k) => [
      `${k}${k === label ? " (true)" : ""}`, p,
      k !== predicted ? COLOURS.bar : drawn ? COLOURS.selected
        : predicted === label ? COLOURS.good : COLOURS.bad]);
    const verdict = drawn ? "" : predicted === label ? ": right" : ": wrong";
    const focused = parts.picture.contains(document.activeElement)
      ? [...parts.picture.querySelectorAll("[tabindex]")].indexOf(document.activeElement) : -1;
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(drawn ? "your drawing, as the network sees it" : `${name} (label ${label})`,
            shownDigit.node, 150),
      panel(`${info.name}: ${count} maps ${rows}×${cols}`, tiles.node, 300),
      panel(`map ${c}`, big.node, 150),
      panel(inputs > 1 ? `its filter: ${inputs} channels of ${kh}×${kw}`
        : `its filter ${kh}×${kw}`,
            filter.node, inputs > 1 ? 220 : 110),
      panel(`predicted ${predicted} (${(100 * probs[predicted]).toFixed(1)} %)${verdict}`,
            bars(rowsOfBars, "probability of each class", 64), 260)]),
    unitPanel(info, c, maps));
    if (focused >= 0) { parts.picture.querySelectorAll("[tabindex]")[focused]?.focus(); }
    parts.status.textContent = `${drawn ? "your drawing" : `digit ${model.get("index")}, ` +
      `label ${label}`}, predicted ${predicted}; ${info.name} map ${c} of ${count}, unit ` +
      `(${unit[0]}, ${unit[1]})`;
    redrawn(parts);
  }

  // Another digit is drawn when its maps arrive (from the kernel, or from the page's network),
  // not when it is asked for.
  redrawOn(model, ["layer", "channel", "unit", "maps", "image", "probabilities", "label",
                   "error", "drawn"], draw);
  model.on("change:index", () => digit.show(model.get("index")));
  model.on("change:drawn", () => {
    if (!model.get("drawn") && drawing && kernelHere) { drawing = false; ink.fill(0); showInk(); }
  });
  showInk();
  draw();
  if (!kernelHere) { setTimeout(() => pageNetwork().catch(() => {}), 300); }
}

export default {render};
