// photo_classifier.js: the photo classifier's page side (after geometry.js and drawing.js).
// A chosen file goes to the kernel, which classifies it and sends back a thumbnail and the
// ten best classes; the top-k bars are drawn (and redrawn for another k) here.

function render({model, el}) {
  const parts = frame(el, `Classify your own photo with ${model.get("network")}`);
  const file = html("input", {type: "file", accept: "image/*"});
  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) { return; }
    parts.status.textContent = `classifying ${chosen.name}…`;
    const content = await chosen.arrayBuffer();
    model.set("upload_name", chosen.name);
    model.set("upload", new DataView(content));
    model.save_changes();
  });
  const photoControl = html("label", {class: "course-control"}, ["photo ", file]);
  const k = slider("top k", {min: 1, max: 10, value: model.get("k"),
                             onInput: (v) => { model.set("k", v); model.save_changes(); }});
  parts.controls.append(photoControl, k);
  let url = null;

  function draw() {
    const classes = model.get("classes");
    const top = Math.min(model.get("k"), classes.length);
    k.set(model.get("k"), 10);
    parts.message.textContent = model.get("error") ? `⚠ ${model.get("error")}` : "";
    if (!classes.length) {
      parts.picture.replaceChildren();
      redrawn(parts);
      return;
    }
    const photo = model.get("photo");
    if (url) { URL.revokeObjectURL(url); }
    url = URL.createObjectURL(new Blob([photo.buffer.slice(photo.byteOffset,
                                                          photo.byteOffset + photo.byteLength)],
                                       {type: "image/jpeg"}));
    const caption = model.get("caption") || "photo";
    const image = html("img", {class: "course-photo", src: url, alt: caption});
    const rows = classes.slice(0, top).map(([name, p], n) => [
      name.length > 28 ? `${name.slice(0, 27)}…` : name, p,
      n === 0 ? COLOURS.selected : COLOURS.bar]);
    parts.picture.replaceChildren(html("div", {class: "course-panels"}, [
      panel(caption, image, 320),
      panel(`the ${top} most likely classes (${model.get("network")})`,
            bars(rows, `top ${top}: ${classes.slice(0, top).map(([name, p]) =>
              `${name} ${p.toFixed(2)}`).join(", ")}`), 460)]));
    parts.status.textContent = `${caption}: ${classes[0][0]} (${classes[0][1].toFixed(2)})`;
    redrawn(parts);
  }

  redrawOn(model, ["k", "classes", "photo", "caption", "error"], draw);
  draw();
  return () => { if (url) { URL.revokeObjectURL(url); } };
}

export default {render};
