// A small live line chart in SVG: a fixed x range, a few series, points appended as training
// runs. No chart library: the tutorial needs two charts and nothing else (tfjs-vis would be
// another 1.5 MB). Colours come from CSS classes, so the charts follow the site's palettes.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 190;
const MARGIN = { top: 12, right: 12, bottom: 30, left: 40 };

function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Round `value` up to a tidy top for the y axis, whose quarters are tidy too (1, 2, 4, 5, 8 × 10ⁿ). */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 4, 5, 8, 10].map((step) => step * power).find((candidate) => candidate >= value);
}

export class LineChart {
  /**
   * `options`: `label` (the chart's accessible name), `xLabel`, `xMax`, `yMax` (a number, or
   * null to fit the data), `format(y)` for tick labels, and `series`: `[{ key, label, className,
   * markers }]` (markers: draw a dot at every point, for sparse series).
   */
  constructor({ label, xLabel, xMax, yMax = null, format = (y) => String(y), series }) {
    this.label = label;
    this.xMax = xMax;
    this.fixedYMax = yMax;
    this.format = format;
    this.series = series.map((item) => ({ ...item, points: [] }));
    this.frame = null;

    this.svg = svgElement("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "lc-svg", role: "img", "aria-label": label });
    this.axes = svgElement("g", { class: "lc-axes" });
    this.svg.append(this.axes);
    for (const item of this.series) {
      item.line = svgElement("polyline", { class: `lc-line ${item.className}`, points: "", "data-series": item.key, "data-count": 0 });
      item.dots = svgElement("g", { class: `lc-dots ${item.className}` });
      this.svg.append(item.line, item.dots);
    }
    const legend = document.createElement("figcaption");
    legend.className = "lc-legend";
    for (const item of this.series) {
      const key = document.createElement("span");
      key.className = `lc-key ${item.className}`;
      key.textContent = item.label;
      legend.append(key);
    }
    this.element = document.createElement("figure");
    this.element.className = "lc";
    this.element.append(this.svg, legend);
    this.xTitle = xLabel;
    this.#render();
  }

  /** Append the point (x, y) to series `key`; the chart redraws on the next frame. */
  add(key, x, y) {
    if (!Number.isFinite(y)) return;
    this.series.find((item) => item.key === key).points.push([x, y]);
    this.#schedule();
  }

  /** Remove every point. */
  reset() {
    for (const item of this.series) item.points = [];
    this.#schedule();
  }

  #schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.#render();
    });
  }

  #yMax() {
    if (this.fixedYMax !== null) return this.fixedYMax;
    const values = this.series.flatMap((item) => item.points.map(([, y]) => y));
    return niceCeiling(values.length ? Math.max(...values) : 1);
  }

  #render() {
    const yMax = this.#yMax();
    const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const px = (x) => MARGIN.left + (plotWidth * x) / this.xMax;
    const py = (y) => MARGIN.top + plotHeight * (1 - Math.min(y, yMax) / yMax);

    this.axes.replaceChildren();
    for (let i = 0; i <= 4; i += 1) {
      const y = (yMax * i) / 4;
      this.axes.append(
        svgElement("line", { class: "lc-grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: py(y), y2: py(y) }),
        Object.assign(svgElement("text", { class: "lc-tick", x: MARGIN.left - 5, y: py(y) + 3.5, "text-anchor": "end" }), { textContent: this.format(y) }),
      );
    }
    for (let i = 0; i <= 4; i += 1) {
      const x = (this.xMax * i) / 4;
      this.axes.append(
        Object.assign(svgElement("text", { class: "lc-tick", x: px(x), y: HEIGHT - MARGIN.bottom + 13, "text-anchor": "middle" }), { textContent: String(x) }),
      );
    }
    this.axes.append(
      svgElement("line", { class: "lc-axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: py(0), y2: py(0) }),
      Object.assign(svgElement("text", { class: "lc-title", x: MARGIN.left + plotWidth / 2, y: HEIGHT - 3, "text-anchor": "middle" }), { textContent: this.xTitle }),
    );

    for (const item of this.series) {
      item.line.setAttribute("points", item.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" "));
      item.line.setAttribute("data-count", String(item.points.length));
      item.dots.replaceChildren(
        ...(item.markers ? item.points.map(([x, y]) => svgElement("circle", { cx: px(x).toFixed(1), cy: py(y).toFixed(1), r: 2.5 })) : []),
      );
    }
    // The latest values, for screen readers (the picture alone says nothing to them).
    const latest = this.series
      .filter((item) => item.points.length)
      .map((item) => `${item.label} ${this.format(item.points[item.points.length - 1][1])}`);
    this.svg.setAttribute("aria-label", latest.length ? `${this.label}: ${latest.join(", ")}` : this.label);
  }
}
