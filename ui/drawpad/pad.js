// The Draw page's pad: free-hand strokes with pointer events (mouse, touch and pen), sent the moment
// the pen lifts. What goes to the server is small: the ink alone, cropped to its box and drawn again
// white on black at most SEND px on its long side (a grey PNG), with the box in pad pixels. The
// strokes are kept as points, so undo and a change of brush redraw them exactly.
//
// Streamlit calls this default export again whenever `data` or the theme changes, and only the last
// cleanup it returned when the element goes: one pad lives per parentElement, so a rerun updates its
// labels and never empties it.

const SEND = 112; // the long side of the picture sent; the 28x28 the model sees needs no more
const pads = new WeakMap();

function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

function makePad(root) {
  const wrap = root.querySelector(".pad");
  const canvas = root.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  const undoBtn = root.querySelector("[data-act='undo']");
  const clearBtn = root.querySelector("[data-act='clear']");
  const brush = root.querySelector("input[type='range']");
  const hint = root.querySelector(".hint");
  const pad = { strokes: [], current: null, sent: 0, setStateValue: () => {} };

  function side() {
    return canvas.getBoundingClientRect().width || canvas.width;
  }

  function resize() {
    // the backing store follows the shown size and the screen's pixel ratio: crisp ink on any screen
    const cssSide = side();
    const px = Math.max(1, Math.round(cssSide * (window.devicePixelRatio || 1)));
    if (canvas.width !== px || canvas.height !== px) {
      canvas.width = px;
      canvas.height = px;
    }
    redraw();
  }

  function pathOf(c, s, scale, dx, dy) {
    c.lineWidth = Math.max(1, s.width * scale);
    if (s.points.length === 1) {
      const [x, y] = s.points[0];
      c.beginPath();
      c.arc((x - dx) * scale, (y - dy) * scale, c.lineWidth / 2, 0, 2 * Math.PI);
      c.fill();
      return;
    }
    c.beginPath();
    s.points.forEach(([x, y], i) => {
      if (i === 0) c.moveTo((x - dx) * scale, (y - dy) * scale);
      else c.lineTo((x - dx) * scale, (y - dy) * scale);
    });
    c.stroke();
  }

  function paint(c, strokes, scale, dx, dy, ink) {
    c.lineCap = "round";
    c.lineJoin = "round";
    c.strokeStyle = ink;
    c.fillStyle = ink;
    for (const s of strokes) pathOf(c, s, scale, dx, dy);
  }

  function redraw() {
    // points are in "pad units": 0..1 of the pad's side times 400, whatever its size on screen
    ctx.fillStyle = cssVar(wrap, "--pad-paper", "#000");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const all = pad.current ? [...pad.strokes, pad.current] : pad.strokes;
    paint(ctx, all, canvas.width / 400, 0, 0, cssVar(wrap, "--pad-ink", "#fff"));
    hint.hidden = all.length > 0;
    undoBtn.disabled = clearBtn.disabled = pad.strokes.length === 0;
  }

  function send() {
    // every message is new to the server, even one that repeats an earlier picture, and also after the pad
    // was mounted again (a visit to another page and back): a clock, not a count from zero
    pad.sent = Math.max(pad.sent + 1, Date.now());
    if (pad.strokes.length === 0) {
      pad.setStateValue("ink", { strokes: 0, n: pad.sent }); // emptied by the student: not the same as never drawn
      return;
    }
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const s of pad.strokes) {
      for (const [x, y] of s.points) {
        x0 = Math.min(x0, x - s.width / 2);
        y0 = Math.min(y0, y - s.width / 2);
        x1 = Math.max(x1, x + s.width / 2);
        y1 = Math.max(y1, y + s.width / 2);
      }
    }
    x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
    x1 = Math.min(400, Math.ceil(x1)); y1 = Math.min(400, Math.ceil(y1));
    const w = Math.max(1, x1 - x0), h = Math.max(1, y1 - y0);
    const scale = Math.min(1, SEND / Math.max(w, h));
    const out = document.createElement("canvas");
    out.width = Math.max(1, Math.round(w * scale));
    out.height = Math.max(1, Math.round(h * scale));
    const o = out.getContext("2d");
    o.fillStyle = "#000";
    o.fillRect(0, 0, out.width, out.height);
    paint(o, pad.strokes, scale, x0, y0, "#fff");
    pad.setStateValue("ink", {
      png: out.toDataURL("image/png"),
      box: [x0, y0, w, h],
      pad: 400,
      strokes: pad.strokes.length,
      n: pad.sent,
    });
  }

  function at(e) {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * 400, ((e.clientY - r.top) / r.height) * 400];
  }

  function down(e) {
    if (e.button !== undefined && e.button > 0) return;
    e.preventDefault();
    try {
      canvas.setPointerCapture(e.pointerId); // the stroke goes on when the pen leaves the pad, until it lifts
    } catch (err) {
      // a pointer the browser no longer tracks: the stroke still draws while over the pad
    }
    pad.current = { width: Number(brush.value), points: [at(e)] };
    redraw();
  }

  function move(e) {
    if (!pad.current) return;
    e.preventDefault();
    // a pen or a finger reports more points than one frame shows: take them all, for smooth curves
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) pad.current.points.push(at(ev));
    redraw();
  }

  function up(e) {
    if (!pad.current) return;
    e.preventDefault();
    pad.strokes.push(pad.current);
    pad.current = null;
    redraw();
    send(); // at once: no timer between the pen lifting and the server hearing of it
  }

  function undo() {
    if (pad.strokes.length === 0) return;
    pad.strokes.pop();
    redraw();
    send();
  }

  function clear() {
    if (pad.strokes.length === 0 && !pad.current) return;
    pad.strokes = [];
    pad.current = null;
    redraw();
    send();
  }

  function key(e) {
    if (e.key !== "Escape" || !canvas.isConnected) return;
    const t = e.target;
    // Esc in a text box or a select belongs to it
    if (t && t !== document.body && t.closest && t.closest("input, textarea, select, [role='listbox']") && t !== brush) return;
    clear();
  }

  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  undoBtn.addEventListener("click", undo);
  clearBtn.addEventListener("click", clear);
  document.addEventListener("keydown", key);
  const seen = new ResizeObserver(resize);
  seen.observe(canvas);

  pad.update = (data, setState) => {
    pad.setStateValue = setState;
    const labels = (data && data.labels) || {};
    undoBtn.textContent = labels.undo || "Undo";
    clearBtn.textContent = labels.clear || "Clear";
    hint.textContent = labels.hint || "";
    brush.setAttribute("aria-label", labels.brush || "Brush");
    root.querySelector(".brush-label").textContent = labels.brush || "Brush";
    canvas.setAttribute("aria-label", labels.pad || "Drawing pad");
    resize();
  };
  pad.destroy = () => {
    seen.disconnect();
    document.removeEventListener("keydown", key);
  };
  return pad;
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let pad = pads.get(parentElement);
  if (!pad) {
    pad = makePad(parentElement);
    pads.set(parentElement, pad);
  }
  pad.update(data, setStateValue);
  return () => {
    pad.destroy();
    pads.delete(parentElement);
  };
}
