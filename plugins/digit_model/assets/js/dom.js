// Small DOM helpers shared by the blocks' modules.

/** `element("p", { class: "x", text: "hi" }, child…)`: an element with attributes and children. */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** Paint 0–1 values (row-major, width × height) on a canvas, white on black or via `colour(v, i)`. */
export function paintValues(canvas, values, width, height, colour = (v) => [255 * v, 255 * v, 255 * v, 255]) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  for (let i = 0; i < values.length; i += 1) image.data.set(colour(values[i], i), i * 4);
  context.putImageData(image, 0, 0);
}
