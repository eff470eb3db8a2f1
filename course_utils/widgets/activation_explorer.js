// activation_explorer.js: the activation-map explorer's page side (after geometry.js and
// drawing.js). The kernel sends a digit's maps and probabilities; the layer and the map are
// chosen here: every map of the layer as tiles, the chosen one enlarged beside its filter.

const COLUMNS = 8; // tiles per row in a mosaic

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

function render({model, el}) {
  const parts = frame(el, "Activation maps");
  const layers = model.get("layers");
  const digit = slider("test digit", {min: 0, max: model.get("count") - 1,
                                      value: model.get("index"),
                                      onInput: (v) => commit({index: v})});
  const layer = choice("layer", layers.map((l) => [l.name, `${l.name}: ${l.maps[0]} maps`]),
                       {value: model.get("layer"),
                        onChange: (v) => commit({layer: v, channel: 0})});
  const channel = slider("map", {min: 0, max: 1, value: model.get("channel"),
                                 onInput: (v) => commit({channel: v})});
  parts.controls.append(digit, layer, channel);

  const commit = committer(model);

  function signedImage(values, rows, cols, label, width, limit) {
    const image = pixels(rows, cols, label, width);
    image.paint((k) => (Number.isNaN(values[k]) ? [255, 255, 255]
      : signedColour(values[k], limit)));
    return image;
  }

  function draw() {
    const info = layers.find((l) => l.name === model.get("layer")) || layers[0];
    const [count, rows, cols] = info.maps;
    const [, inputs, kh, kw] = info.filters;
    const c = Math.min(model.get("channel"), count - 1);
    digit.set(model.get("index"), model.get("count") - 1);
    layer.input.value = info.name;
    channel.set(c, count - 1);
    const maps = floats(model.get("maps")[info.name]);
    const limit = limitOf(maps);
    const label = model.get("label"), probs = model.get("probabilities");
    const predicted = probs.indexOf(Math.max(...probs));

    const image = floats(model.get("image"));
    const shownDigit = pixels(28, 28, `test digit ${model.get("index")}, label ${label}`, 150);
    shownDigit.paint((k) => greyColour(image[k]));

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
    const big = signedImage(map, rows, cols, `map ${c} of ${info.name}`, 150, limit);
    const weights = floats(model.get("filters")[info.name])
      .subarray(c * inputs * kh * kw, (c + 1) * inputs * kh * kw);
    const kernels = mosaic(weights, inputs, kh, kw, Math.min(inputs, COLUMNS));
    const filter = signedImage(kernels.tiles, kernels.height, kernels.width,
                               `the filter of map ${c}: ${inputs}×${kh}×${kw}`,
                               inputs > 1 ? 220 : 110, limitOf(weights));
    const rowsOfBars = probs.map((p, k) => [
      `${k}${k === label ? " (true)" : ""}`, p,
      k === predicted ? (predicted === label ? COLOURS.good : COLOURS.bad) : COLOURS.bar]);
    const verdict = predicted === label ? "right" : "wrong";
    const focused = parts.picture.contains(document.activeElement);
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(`test digit ${model.get("index")} (label ${label})`, shownDigit.node, 150),
      panel(`${info.name}: ${count} maps ${rows}×${cols}`, tiles.node, 300),
      panel(`map ${c}`, big.node, 150),
      panel(inputs > 1 ? `its filter: ${inputs} channels of ${kh}×${kw}` : `its filter ${kh}×${kw}`,
            filter.node, inputs > 1 ? 220 : 110),
      panel(`predicted ${predicted} (${(100 * probs[predicted]).toFixed(1)} %): ${verdict}`,
            bars(rowsOfBars, "probability of each class", 64), 260)]));
    if (focused) { tiles.node.focus(); }
    parts.status.textContent = `digit ${model.get("index")}, label ${label}, predicted ` +
      `${predicted}; ${info.name} map ${c} of ${count}`;
    redrawn(parts);
  }

  // Another digit is drawn when its maps arrive from the kernel, not when it is asked for.
  redrawOn(model, ["layer", "channel", "maps", "image", "probabilities", "label"], draw);
  model.on("change:index", () => digit.set(model.get("index"), model.get("count") - 1));
  draw();
}

export default {render};
