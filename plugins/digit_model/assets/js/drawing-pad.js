// A canvas that records strokes from a mouse, a finger or a pen (Pointer Events).
//
// Strokes are kept as point lists so that undo, presets and redraws are exact. Ink is drawn
// opaque on a transparent canvas: the alpha channel *is* the ink the preprocessing reads,
// whatever colours the theme uses.

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas  its width/height are the drawing resolution
   * @param {{onChange: (reason: string) => void, strokeWidth?: number}} options
   */
  constructor(canvas, { onChange, strokeWidth }) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d", { willReadFrequently: true });
    this.onChange = onChange;
    // Relative to the canvas: a digit drawn across most of it ends up with MNIST-like strokes.
    this.strokeWidth = strokeWidth || Math.max(2, canvas.width * 0.075);
    this.strokes = [];
    this.activePointer = null;
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", (event) => this.#start(event));
    canvas.addEventListener("pointermove", (event) => this.#move(event));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(type, (event) => this.#end(event));
    }
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  clear() {
    this.strokes = [];
    this.redraw();
    this.onChange("clear");
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.redraw();
    this.onChange("undo");
  }

  /** Replace the drawing with strokes given as [[x, y], …] lists in canvas pixels. */
  setStrokes(strokes) {
    this.strokes = strokes.map((stroke) => stroke.map(([x, y]) => ({ x, y })));
    this.redraw();
    this.onChange("set");
  }

  /**
   * Use an image (e.g. a MNIST digit, white ink as alpha) as the drawing, scaled to the canvas
   * with crisp pixels; strokes drawn afterwards add to it.
   */
  setImage(image) {
    this.strokes = [{ image }];
    this.redraw();
    this.onChange("set");
  }

  imageData() {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  redraw() {
    const { context, canvas } = this;
    context.clearRect(0, 0, canvas.width, canvas.height);
    for (const stroke of this.strokes) this.#paint(stroke);
  }

  #paint(stroke) {
    const { context } = this;
    if (stroke.image) {
      context.imageSmoothingEnabled = false;
      context.drawImage(stroke.image, 0, 0, this.canvas.width, this.canvas.height);
      context.imageSmoothingEnabled = true;
      return;
    }
    context.strokeStyle = "#fff";
    context.fillStyle = "#fff";
    context.lineWidth = this.strokeWidth;
    context.lineCap = "round";
    context.lineJoin = "round";
    if (stroke.length === 1) {
      context.beginPath();
      context.arc(stroke[0].x, stroke[0].y, this.strokeWidth / 2, 0, Math.PI * 2);
      context.fill();
      return;
    }
    context.beginPath();
    context.moveTo(stroke[0].x, stroke[0].y);
    for (const point of stroke.slice(1)) context.lineTo(point.x, point.y);
    context.stroke();
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * this.canvas.width) / rect.width,
      y: ((event.clientY - rect.top) * this.canvas.height) / rect.height,
    };
  }

  #start(event) {
    if (this.activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.activePointer = event.pointerId;
    this.canvas.setPointerCapture?.(event.pointerId);
    this.strokes.push([this.#point(event)]);
    this.redraw();
    this.onChange("draw");
  }

  #move(event) {
    if (event.pointerId !== this.activePointer) return;
    event.preventDefault();
    const stroke = this.strokes[this.strokes.length - 1];
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const sample of events.length ? events : [event]) stroke.push(this.#point(sample));
    this.redraw();
    this.onChange("draw");
  }

  #end(event) {
    if (event.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.onChange("stroke-end");
  }
}
