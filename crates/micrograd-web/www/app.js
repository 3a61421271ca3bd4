// The micrograd playground's page. All arithmetic happens in the engine (pkg/, compiled from
// crates/micrograd-web); this file only keeps the page's state, draws, and keeps the URL hash current.
import init, * as mg from "./pkg/micrograd_web.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, parent = null) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
};

// ----------------------------------------------------------------------------------------------
// State and the URL hash
// ----------------------------------------------------------------------------------------------

const NEURON = {
  expr: "tanh(x1*w1 + x2*w2 + b)",
  vars: { x1: 2, x2: 0, w1: -3, w2: 1, b: 6.8813735870195432 },
};
const PRESETS = {
  neuron: NEURON,
  micrograd: { expr: "(a*b + 1)^2 + relu(b - a) / 2", vars: { a: -4, b: 2 } },
  softplus: { expr: "log(1 + exp(z))", vars: { z: 0.5 } },
  square: { expr: "x*x + 3*x", vars: { x: 2 } },
};
const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const DATASETS = ["moons", "circles", "spirals", "blobs", "xor"];
// URL names of the training settings, and the config field each sets.
const TRAIN_KEYS = {
  data: "dataset", noise: "noise", n: "points", test: "test_percent", seed: "seed",
  feat: "features", net: "hidden", act: "activation", loss: "loss", opt: "optimizer",
  lr: "lr", reg: "regularization", rate: "reg_rate", batch: "batch",
};

const state = {
  view: "graph",
  graph: { expr: NEURON.expr, vars: { ...NEURON.vars } },
  train: null, // a config object (see play::Config)
};

function notice(text) {
  const n = $("notice");
  n.textContent = text;
  n.hidden = !text;
}

function writeHash() {
  const p = new URLSearchParams();
  p.set("view", state.view);
  p.set("expr", state.graph.expr);
  for (const [k, v] of Object.entries(state.graph.vars)) p.set("v." + k, String(v));
  const c = state.train;
  for (const [key, field] of Object.entries(TRAIN_KEYS)) {
    const v = c[field];
    p.set(key, Array.isArray(v) ? v.join(",") : String(v));
  }
  const hash = "#" + p.toString();
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

// Reads the hash into `state`; a part that cannot be read falls back to its defaults, and the page
// says so.
function readHash() {
  const problems = [];
  const defaults = JSON.parse(mg.default_config());
  state.train = { ...defaults };
  const raw = location.hash.replace(/^#/, "");
  if (!raw) return problems;
  let p;
  try {
    p = new URLSearchParams(raw);
  } catch (e) {
    return ["the link's state could not be read"];
  }
  const graph = { expr: null, vars: {} };
  const train = { ...defaults };
  let trainBad = null;
  for (const [k, v] of p) {
    if (k === "view") {
      if (v === "graph" || v === "train" || v === "gpt") state.view = v;
      else problems.push(`unknown view "${v}"`);
    } else if (k === "expr") {
      graph.expr = v;
    } else if (k.startsWith("v.")) {
      const x = Number(v);
      if (v.trim() === "" || !Number.isFinite(x)) problems.push(`the value of ${k.slice(2)} ("${v}") is not a number`);
      else graph.vars[k.slice(2)] = x;
    } else if (k in TRAIN_KEYS) {
      const field = TRAIN_KEYS[k];
      if (field === "features") train[field] = v === "" ? [] : v.split(",");
      else if (field === "hidden") {
        const parts = v === "" ? [] : v.split(",");
        const nums = parts.map(Number);
        if (nums.some((n) => !Number.isInteger(n))) trainBad = `network "${v}"`;
        train[field] = nums;
      } else if (typeof defaults[field] === "number") {
        const x = Number(v);
        if (v.trim() === "" || !Number.isFinite(x)) trainBad = `${k}="${v}"`;
        else train[field] = x;
      } else train[field] = v;
    } else {
      problems.push(`unknown setting "${k}"`);
    }
  }
  if (graph.expr !== null) state.graph = { expr: graph.expr, vars: graph.vars };
  else if (Object.keys(graph.vars).length) problems.push("variable values without an expression");
  if (!trainBad) {
    try {
      new mg.Playground(JSON.stringify(train)).free();
    } catch (e) {
      trainBad = String(e.message || e);
    }
  }
  if (trainBad) problems.push(`training settings (${trainBad})`);
  else state.train = train;
  return problems;
}

function setView(view) {
  state.view = view;
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.view === view);
  $("graph-view").hidden = view !== "graph";
  $("train-view").hidden = view !== "train";
  $("gpt-view").hidden = view !== "gpt";
  if (view !== "train") pause();
  if (view !== "gpt") gptPause();
  if (view === "gpt") gptEnsure();
  writeHash();
}

// ----------------------------------------------------------------------------------------------
// Graph view
// ----------------------------------------------------------------------------------------------

const CHAR_W = 7.3; // as crates/micrograd-web/src/layout.rs assumes
const FIELD_PAD = 8;

const gv = {
  result: null, // the engine's answer for the expression (kind ok or error), or a point graph
  graph: null,
  point: null, // {x, y, label} when showing the network at a point
  fwd: null, // number of computed values shown (null: the finished pass)
  bwd: 0, // backward steps applied
};

function computedIndices(graph) {
  return graph.nodes.map((n, i) => (n.op ? i : -1)).filter((i) => i >= 0);
}

function updateExpression() {
  gv.point = null;
  $("point-banner").hidden = true;
  const g = state.graph;
  const res = JSON.parse(mg.graph_expression(g.expr, JSON.stringify(g.vars)));
  gv.result = res;
  const err = $("expr-error");
  if (res.kind === "error") {
    err.hidden = false;
    err.textContent = (res.caret ? res.caret + "\n" : "") + res.message;
    $("expr").classList.add("bad");
    renderVars(res.variables.map((name) => ({ name, data: "", grad: "" })), true);
    $("value").textContent = "—";
    // keep the last good graph on screen, dimmed
    $("graph").style.opacity = gv.graph ? 0.35 : 1;
  } else {
    err.hidden = true;
    $("expr").classList.remove("bad");
    gv.graph = res.graph;
    $("graph").style.opacity = 1;
    gv.fwd = null;
    gv.bwd = 0;
    renderVars(res.variables, false);
    $("value").textContent = res.value;
  }
  drawGraph();
  writeHash();
}

function renderVars(vars, failed) {
  const body = $("vars").querySelector("tbody");
  const focused = document.activeElement && document.activeElement.dataset.var;
  body.textContent = "";
  for (const v of vars) {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = v.name;
    const dataTd = document.createElement("td");
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.dataset.var = v.name;
    input.dataset.testid = "input-" + v.name;
    input.value = String(state.graph.vars[v.name] ?? 0);
    input.addEventListener("input", () => {
      const x = Number(input.value);
      if (input.value.trim() !== "" && Number.isFinite(x)) {
        input.classList.remove("bad");
        state.graph.vars[v.name] = x;
        updateExpression();
      } else input.classList.add("bad");
    });
    dataTd.appendChild(input);
    const grad = document.createElement("td");
    const out = document.createElement("output");
    out.dataset.testid = "grad-" + v.name;
    out.dataset.node = v.node ?? "";
    out.textContent = failed ? "—" : v.grad;
    grad.appendChild(out);
    tr.append(name, dataTd, grad);
    body.appendChild(tr);
  }
  if (focused) {
    const again = body.querySelector(`input[data-var="${CSS.escape(focused)}"]`);
    if (again) {
      again.focus();
      const n = again.value.length;
      again.setSelectionRange(n, n);
    }
  }
  $("vars").hidden = gv.point !== null;
}

// What each node shows at the current step: its data (or "?" before the forward pass reaches it) and
// its grad so far.
function nodeView(graph) {
  const n = graph.nodes.length;
  const computed = computedIndices(graph);
  const shownData = new Array(n).fill(true);
  let current = -1;
  const inputs = new Set();
  let grads = graph.nodes.map((x) => x.grad);
  const stepping = gv.fwd !== null;
  if (stepping) {
    grads = new Array(n).fill("");
    computed.forEach((i, k) => { if (k >= gv.fwd) shownData[i] = false; });
    if (gv.fwd > 0 && gv.fwd <= computed.length && gv.bwd === 0) {
      current = computed[gv.fwd - 1];
      for (const u of graph.nodes[current].inputs) inputs.add(u);
    }
    if (gv.fwd === computed.length && gv.bwd > 0) {
      grads = new Array(n).fill("0.0000");
      for (let s = 0; s < gv.bwd; s++) {
        const st = graph.backward[s];
        if (s === 0) grads[st.node] = st.upstream;
        for (const t of st.terms) grads[t.input] = t.after;
      }
      const st = graph.backward[gv.bwd - 1];
      current = st.node;
      for (const t of st.terms) inputs.add(t.input);
    } else if (gv.fwd === computed.length) {
      grads = new Array(n).fill("0.0000");
    }
  }
  return { shownData, grads, current, inputs };
}

function nodeName(graph, i) {
  const n = graph.nodes[i];
  // An unlabelled value is named by the operation that made it and its data, as the picture shows it.
  if (n.label) return n.label;
  return n.op ? `[${n.op} → ${n.data}]` : `[${n.data}]`;
}

function stepInfo(graph) {
  const info = $("step-info");
  const computed = computedIndices(graph);
  if (gv.fwd === null) {
    info.textContent =
      "The finished pass: every value's data and grad.\n" +
      "forward ▸ recomputes it value by value; ◂ backward then applies the chain rule node by node, " +
      "in reverse topological order.";
    return;
  }
  if (gv.bwd === 0) {
    if (gv.fwd === 0) {
      info.textContent = "Forward pass: the leaves are set; press forward ▸ to compute the next value.";
      return;
    }
    const i = computed[gv.fwd - 1];
    const n = graph.nodes[i];
    const ins = n.inputs.map((u) => `${nodeName(graph, u)} = ${graph.nodes[u].data}`).join(", ");
    info.textContent =
      `forward ${gv.fwd}/${computed.length}: ${nodeName(graph, i)} = ${n.op}(${ins})\n  = ${n.data}` +
      (gv.fwd === computed.length ? "\n\nForward pass done. ◂ backward starts the chain rule." : "");
    return;
  }
  const st = graph.backward[gv.bwd - 1];
  const total = graph.backward.length;
  if (gv.bwd === 1) {
    info.textContent = `backward 1/${total}: seed ${nodeName(graph, st.node)}.grad = ${st.upstream}`;
    return;
  }
  const lines = [
    `backward ${gv.bwd}/${total} at ${nodeName(graph, st.node)}, ` +
      `upstream grad ${st.upstream}`,
  ];
  for (const t of st.terms) {
    lines.push(
      `  ${nodeName(graph, t.input)}: local ${t.local} × upstream ${st.upstream} = ${t.product}` +
        `  → grad ${t.after}`,
    );
  }
  if (gv.bwd === total) lines.push("\nBackward pass done: these are the engine's gradients.");
  info.textContent = lines.join("\n");
}

function drawGraph() {
  const root = $("graph");
  root.textContent = "";
  const graph = gv.graph;
  const fwdB = $("fwd"), bwdB = $("bwd"), finB = $("finish"), resB = $("restart");
  if (!graph) {
    for (const b of [fwdB, bwdB, finB, resB]) b.disabled = true;
    $("step-info").textContent = "";
    return;
  }
  const computed = computedIndices(graph);
  const view = nodeView(graph);
  // Fit the panel's width when shrinking by at most half will do; otherwise scroll.
  const room = Math.max(200, $("graph-wrap").clientWidth - 4);
  const scale = Math.min(1, Math.max(0.75, room / graph.width));
  root.setAttribute("width", graph.width * scale);
  root.setAttribute("height", graph.height * scale);
  root.setAttribute("viewBox", `0 0 ${graph.width} ${graph.height}`);
  const defs = svg("defs", {}, root);
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
  svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#555" }, marker);
  const edges = svg("g", {}, root);
  const curve = (x1, y1, x2, y2) => {
    const dx = Math.max(20, (x2 - x1) / 2);
    return `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`;
  };
  graph.nodes.forEach((n, i) => {
    if (!n.op_at) return;
    const o = n.op_at;
    svg("path", { class: "edge", d: curve(o.x + o.w / 2, o.y, n.at.x - n.at.w / 2, n.at.y), "marker-end": "url(#arrow)" }, edges);
    for (const u of n.inputs) {
      const a = graph.nodes[u].at;
      svg("path", { class: "edge", d: curve(a.x + a.w / 2, a.y, o.x - o.w / 2, o.y), "marker-end": "url(#arrow)" }, edges);
    }
  });
  graph.nodes.forEach((n, i) => {
    if (n.op_at) {
      const o = n.op_at;
      const g = svg("g", { class: "op" + (i === view.current ? " current" : "") }, root);
      svg("ellipse", { cx: o.x, cy: o.y, rx: o.w / 2, ry: o.h / 2 }, g);
      svg("text", { x: o.x, y: o.y }, g).textContent = n.op;
    }
    const a = n.at;
    const cls = ["record"];
    if (i === view.current) cls.push("current");
    else if (view.inputs.has(i)) cls.push("input");
    if (!view.shownData[i]) cls.push("pending");
    const g = svg("g", { class: cls.join(" "), "data-node": i }, root);
    const x0 = a.x - a.w / 2, y0 = a.y - a.h / 2;
    svg("rect", { x: x0, y: y0, width: a.w, height: a.h }, g);
    const data = "data " + (view.shownData[i] ? n.data : "?");
    const grad = "grad " + (view.grads[i] === "" ? "" : view.grads[i]);
    const fields = [];
    if (n.label) fields.push({ text: n.label, chars: [...n.label].length, cls: "label" });
    fields.push({ text: data, chars: 5 + n.data.length, cls: "data" });
    fields.push({ text: grad, chars: 5 + n.grad.length, cls: "grad" });
    const total = fields.reduce((s, f) => s + f.chars * CHAR_W + 2 * FIELD_PAD, 0);
    let x = x0;
    fields.forEach((f, k) => {
      const w = ((f.chars * CHAR_W + 2 * FIELD_PAD) / total) * a.w;
      if (k > 0) svg("line", { x1: x, y1: y0, x2: x, y2: y0 + a.h }, g);
      svg("text", { x: x + w / 2, y: a.y, class: f.cls }, g).textContent = f.text;
      x += w;
    });
  });
  // The readouts follow the step: a variable's grad is the one its node shows.
  for (const out of document.querySelectorAll("#vars output[data-node]")) {
    const i = Number(out.dataset.node);
    if (out.dataset.node !== "" && i < graph.nodes.length && gv.result && gv.result.kind === "ok") {
      out.textContent = view.grads[i] === "" ? "…" : view.grads[i];
      out.classList.toggle("grad-changed", view.inputs.has(i) && gv.bwd > 0);
    }
  }
  const forwardDone = gv.fwd === null || gv.fwd === computed.length;
  fwdB.disabled = gv.fwd !== null && gv.fwd >= computed.length;
  bwdB.disabled = !(gv.fwd === null || (forwardDone && gv.bwd < graph.backward.length));
  finB.disabled = gv.fwd === null;
  resB.disabled = false;
  stepInfo(graph);
}

function stepForward() {
  if (!gv.graph) return;
  if (gv.fwd === null) { gv.fwd = 0; gv.bwd = 0; }
  const computed = computedIndices(gv.graph);
  if (gv.fwd < computed.length) gv.fwd++;
  drawGraph();
}

function stepBackward() {
  if (!gv.graph) return;
  const computed = computedIndices(gv.graph);
  if (gv.fwd === null) { gv.fwd = computed.length; gv.bwd = 0; }
  if (gv.fwd === computed.length && gv.bwd < gv.graph.backward.length) gv.bwd++;
  drawGraph();
}

function showPointGraph(x, y, label) {
  if (!pg) return;
  const graph = JSON.parse(pg.point_graph(x, y, label));
  gv.graph = graph;
  gv.point = { x, y, label };
  gv.fwd = null;
  gv.bwd = 0;
  gv.result = { kind: "point" };
  $("expr-error").hidden = true;
  const banner = $("point-banner");
  banner.hidden = false;
  const what = label >= 0 ? `the loss of a class-${label} point` : "the network's score";
  banner.textContent = `The network's forward pass at (${x.toFixed(3)}, ${y.toFixed(3)}): ${graph.nodes.length} values; the grads are those of ${what}. Edit the expression to return to the calculator.`;
  $("vars").hidden = true;
  $("value").textContent = graph.nodes[graph.nodes.length - 1].data;
  setView("graph");
  drawGraph();
}

// ----------------------------------------------------------------------------------------------
// Training view
// ----------------------------------------------------------------------------------------------

let pg = null; // the mg.Playground
let playing = false;
let lossHistory = []; // [{step, train, test}]
let lastStats = null;
let stepsPerFrame = 2;
const BUDGET_MS = 7;
// At most this many steps a frame (1,500 a second), so that a learner can watch the boundary move.
const MAX_STEPS_PER_FRAME = 25;
const ROW_H = 54, TOP = 40, LEFT = 70, BOX = 40;
let COL_W = 120; // narrowed for deep networks so that the diagram fits its panel

function newPlayground() {
  pause();
  if (pg) pg.free();
  pg = null;
  try {
    pg = new mg.Playground(JSON.stringify(state.train));
  } catch (e) {
    notice(`These training settings do not work (${e.message || e}); back to the defaults.`);
    state.train = JSON.parse(mg.default_config());
    pg = new mg.Playground(JSON.stringify(state.train));
  }
  lossHistory = [];
  $("train-message").hidden = true;
  syncControls();
  buildNetwork();
  drawPoints();
  refresh(true);
  writeHash();
}

function syncControls() {
  const c = state.train;
  const fill = (sel, values, current) => {
    sel.textContent = "";
    const vals = values.includes(current) ? values : [...values, current].sort((a, b) => a - b);
    for (const v of vals) {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = String(v);
      sel.appendChild(o);
    }
    sel.value = String(current);
  };
  fill($("lr"), LRS, c.lr);
  fill($("rate"), RATES, c.reg_rate);
  $("act").value = c.activation;
  $("loss").value = c.loss;
  $("opt").value = c.optimizer;
  $("reg").value = c.regularization;
  $("batch").value = c.batch;
  $("noise").value = c.noise;
  $("noise-out").textContent = c.noise;
  $("points").value = c.points;
  $("points-out").textContent = c.points;
  $("test").value = c.test_percent;
  $("test-out").textContent = c.test_percent + "%";
  for (const b of document.querySelectorAll("#datasets button")) b.classList.toggle("active", b.dataset.name === c.dataset);
  $("remove-layer").disabled = c.hidden.length === 0;
  $("add-layer").disabled = c.hidden.length >= 6;
}

// The network diagram: features, hidden neurons and the output as small pictures, links between them.
let netInfo = null;
function buildNetwork() {
  const net = $("net");
  for (const el of [...net.children]) if (el.id !== "links") el.remove();
  netInfo = JSON.parse(pg.network());
  const c = state.train;
  const allFeatures = [["x", "x"], ["y", "y"], ["x2", "x²"], ["y2", "y²"], ["xy", "xy"], ["sinx", "sin x"], ["siny", "sin y"]];
  // Column 0 shows all seven features; the ones in use are bright and feed the network.
  const sizes = netInfo.sizes;
  const cols = sizes.length;
  const room = Math.max(480, net.parentElement.clientWidth - 40);
  COL_W = Math.max(64, Math.min(120, (room - LEFT - BOX - 20) / Math.max(1, cols - 1)));
  const height = TOP + Math.max(7, ...sizes) * ROW_H;
  net.style.height = height + "px";
  net.style.width = LEFT + (cols - 1) * COL_W + BOX + 20 + "px";
  const pos = (col, row) => ({ x: LEFT + col * COL_W, y: TOP + row * ROW_H });
  const boxes = []; // per column: [{x, y, canvas, map}]
  let map = 1;
  const used = c.features;
  const featCol = [];
  allFeatures.forEach(([key, name], row) => {
    const on = used.includes(key);
    const p = pos(0, row);
    const box = document.createElement("div");
    box.className = "neuron feature" + (on ? "" : " off");
    box.style.left = p.x + "px";
    box.style.top = p.y + "px";
    box.title = on ? `feature ${name} (click to drop it)` : `feature ${name} (click to use it)`;
    box.dataset.testid = "feature-" + key;
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = name;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = mg.grid_size();
    box.append(label, canvas);
    box.addEventListener("click", () => {
      const f = new Set(state.train.features);
      if (f.has(key)) { if (f.size > 1) f.delete(key); } else f.add(key);
      state.train.features = allFeatures.map((a) => a[0]).filter((k) => f.has(k));
      newPlayground();
    });
    net.appendChild(box);
    if (on) featCol.push({ ...p, canvas, map: 1 + used.indexOf(key) });
  });
  boxes.push(featCol);
  map = 1 + used.length;
  for (let col = 1; col < cols; col++) {
    const column = [];
    const last = col === cols - 1;
    for (let row = 0; row < sizes[col]; row++) {
      const p = pos(col, row);
      const box = document.createElement("div");
      box.className = "neuron";
      box.style.left = p.x + "px";
      box.style.top = p.y + "px";
      box.dataset.testid = last ? "neuron-output" : `neuron-${col}-${row + 1}`;
      box.title = last ? "the output (its score)" : `layer ${col}, neuron ${row + 1}`;
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = mg.grid_size();
      box.appendChild(canvas);
      net.appendChild(box);
      column.push({ ...p, canvas, map: last ? 0 : map++ });
    }
    boxes.push(column);
    const head = document.createElement("div");
    head.className = "colhead";
    head.style.left = LEFT + col * COL_W - 10 + "px";
    head.style.top = "0px";
    head.textContent = last ? "output" : `${sizes[col]} neuron${sizes[col] > 1 ? "s" : ""}`;
    net.appendChild(head);
    if (!last) {
      const b = document.createElement("div");
      b.className = "colbuttons";
      b.style.left = LEFT + col * COL_W - 10 + "px";
      b.style.top = "16px";
      const plus = document.createElement("button");
      plus.textContent = "+";
      plus.dataset.testid = `add-neuron-${col}`;
      plus.disabled = sizes[col] >= 8;
      plus.addEventListener("click", () => { state.train.hidden[col - 1]++; newPlayground(); });
      const minus = document.createElement("button");
      minus.textContent = "−";
      minus.dataset.testid = `remove-neuron-${col}`;
      minus.disabled = sizes[col] <= 1;
      minus.addEventListener("click", () => { state.train.hidden[col - 1]--; newPlayground(); });
      b.append(plus, minus);
      net.appendChild(b);
    }
  }
  netInfo.boxes = boxes;
  const links = $("links");
  links.setAttribute("width", net.style.width);
  links.setAttribute("height", height);
  drawLinks();
}

// The links are made once per network (buildNetwork) and restyled as the weights change.
function drawLinks() {
  const links = $("links");
  const boxes = netInfo.boxes;
  if (!netInfo.paths) {
    links.textContent = "";
    netInfo.paths = netInfo.links.map((l, k) => {
      const a = boxes[l.layer][l.input], b = boxes[l.layer + 1][l.neuron];
      if (!a || !b) return null;
      const x1 = a.x + BOX, y1 = a.y + BOX / 2, x2 = b.x, y2 = b.y + BOX / 2;
      const d = `M ${x1} ${y1} C ${(x1 + x2) / 2} ${y1}, ${(x1 + x2) / 2} ${y2}, ${x2} ${y2}`;
      const line = svg("path", { d, "stroke-opacity": 0.75 }, links);
      const hit = svg("path", { d, class: "hit", "data-testid": `link-${l.layer}-${l.neuron}-${l.input}` }, links);
      const title = svg("title", {}, hit);
      hit.addEventListener("click", (ev) => editWeight(ev, netInfo.links[k]));
      return { line, title };
    });
  }
  netInfo.links.forEach((l, k) => {
    const p = netInfo.paths[k];
    if (!p) return;
    p.line.setAttribute("stroke", l.weight >= 0 ? "#0877bd" : "#f59322");
    p.line.setAttribute("stroke-width", Math.min(7, 0.4 + Math.abs(l.weight) * 1.6).toFixed(2));
    p.title.textContent = `weight ${l.weight.toFixed(4)} (click to edit)`;
  });
}

function editWeight(ev, link) {
  const ed = $("weight-editor");
  ed.hidden = false;
  ed.value = String(Number(link.weight.toFixed(6)));
  ed.style.left = ev.pageX + 8 + "px";
  ed.style.top = ev.pageY - 12 + "px";
  ed.focus();
  ed.select();
  const done = (apply) => {
    ed.hidden = true;
    ed.onkeydown = ed.onblur = null;
    if (!apply) return;
    const x = Number(ed.value);
    if (ed.value.trim() === "" || !Number.isFinite(x)) { notice(`"${ed.value}" is not a number; the weight is unchanged.`); return; }
    try {
      pg.set_weight(link.layer, link.neuron, link.input, x);
      notice("");
      $("train-message").hidden = true;
    } catch (e) { notice(String(e.message || e)); }
    refresh(true);
  };
  ed.onkeydown = (e) => { if (e.key === "Enter") done(true); else if (e.key === "Escape") done(false); };
  ed.onblur = () => done(true);
}

function drawPoints() {
  const s = $("points-svg");
  s.textContent = "";
  const pts = JSON.parse(pg.points());
  const nTrain = pg.train_len();
  const D = mg.domain();
  const showTest = $("show-test").checked;
  pts.forEach((p, i) => {
    const test = i >= nTrain;
    if (test && !showTest) return;
    svg("circle", {
      cx: ((p.x + D) / (2 * D)) * 360, cy: ((D - p.y) / (2 * D)) * 360, r: 3.2,
      fill: p.label === 1 ? "#0877bd" : "#f59322", class: test ? "test" : "train",
    }, s);
  });
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

function refresh(repaint) {
  if (!pg) return;
  const st = JSON.parse(pg.stats());
  lastStats = st;
  $("step-count").textContent = st.step;
  $("train-loss").textContent = fmt(st.train_loss);
  $("test-loss").textContent = fmt(st.test_loss);
  $("accuracy").textContent = Number.isFinite(st.accuracy) ? st.accuracy.toFixed(1) : "—";
  const last = lossHistory[lossHistory.length - 1];
  if (!last || last.step !== st.step) lossHistory.push({ step: st.step, train: st.train_loss, test: st.test_loss });
  if (lossHistory.length > 600) lossHistory = lossHistory.filter((_, i) => i % 2 === 0 || i === lossHistory.length - 1);
  if (st.stopped) {
    $("train-message").hidden = false;
    $("train-message").textContent = st.stopped;
    pause();
  }
  if (repaint) {
    const t0 = performance.now();
    pg.render();
    paintMaps();
    renderMs = 0.8 * renderMs + 0.2 * (performance.now() - t0);
    if (netInfo) {
      netInfo.links = JSON.parse(pg.network()).links;
      drawLinks();
    }
  }
  drawCurve();
}

function paintMaps() {
  pg.paint($("boundary").getContext("2d"), 0);
  for (const col of netInfo.boxes) for (const b of col) pg.paint(b.canvas.getContext("2d"), b.map);
}

function drawCurve() {
  const cv = $("curve");
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  const pts = lossHistory.filter((h) => Number.isFinite(h.train) && Number.isFinite(h.test));
  if (pts.length < 2) return;
  const maxY = Math.max(...pts.map((h) => Math.max(h.train, h.test)), 1e-9);
  const maxX = Math.max(pts[pts.length - 1].step, 1);
  const line = (key, colour) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    pts.forEach((h, i) => {
      const x = 4 + (h.step / maxX) * (cv.width - 8);
      const y = cv.height - 4 - (h[key] / maxY) * (cv.height - 8);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line("test", "#f59322");
  line("train", "#333");
  ctx.fillStyle = "#666";
  ctx.font = "10px sans-serif";
  ctx.fillText(`max ${maxY.toFixed(3)}`, 6, 12);
}

let frame = 0;
let renderMs = 0; // a running average of the pictures' cost
function loop() {
  if (!playing || !pg) return;
  const t0 = performance.now();
  const running = pg.train(stepsPerFrame);
  const dt = performance.now() - t0;
  // Keep the training share of a frame near the budget.
  if (dt < BUDGET_MS * 0.7) stepsPerFrame = Math.min(MAX_STEPS_PER_FRAME, stepsPerFrame + Math.max(1, stepsPerFrame >> 2));
  else if (dt > BUDGET_MS) stepsPerFrame = Math.max(1, Math.floor(stepsPerFrame * 0.7));
  frame++;
  // Big networks' pictures cost more than a frame's share: draw them every few frames then.
  const every = Math.min(8, Math.max(2, Math.ceil(renderMs / 4)));
  refresh(frame % every === 0 || !running);
  if (running && playing) requestAnimationFrame(loop);
  else pause();
}

function play() {
  if (!pg || playing) return;
  if (lastStats && lastStats.stopped) return;
  playing = true;
  $("play").disabled = true;
  $("pause").disabled = false;
  requestAnimationFrame(loop);
}

function pause() {
  playing = false;
  $("play").disabled = false;
  $("pause").disabled = true;
}

// ----------------------------------------------------------------------------------------------
// GPT tab
// ----------------------------------------------------------------------------------------------

// At most this many steps a frame (120 a second, 1000 steps in some 8 s), so the samples can be
// watched getting better.
const GPT_MAX_STEPS_PER_FRAME = 2;
const gpt = { model: null, names: null, playing: false, losses: [], stepsPerFrame: 1, loading: false };

async function gptEnsure() {
  if (gpt.model || gpt.loading) return;
  gpt.loading = true;
  $("gpt-info").textContent = "Loading the names…";
  try {
    const r = await fetch(new URL("names.txt", import.meta.url));
    if (!r.ok) throw new Error(`names.txt: ${r.status}`);
    gpt.names = await r.text();
    gptReset();
  } catch (e) {
    $("gpt-info").textContent = "The names could not be loaded: " + (e.message || e);
  } finally {
    gpt.loading = false;
  }
}

function gptReset() {
  gptPause();
  if (!gpt.names) return;
  if (gpt.model) gpt.model.free();
  gpt.model = new mg.NamesGpt(gpt.names, 42n);
  gpt.losses = [];
  gptRefresh(true);
}

function gptRefresh(sample) {
  const st = JSON.parse(gpt.model.stats());
  $("gpt-step").textContent = st.step;
  $("gpt-loss").textContent = st.mean_loss === null ? "—" : st.mean_loss.toFixed(4);
  $("gpt-info").textContent = st.stopped
    ? "Training stopped: " + st.stopped
    : `${st.parameters} parameters, ${st.names} names.` + (st.step >= st.steps ? " Training done." : "");
  if (st.loss !== null && (gpt.losses.length === 0 || gpt.losses[gpt.losses.length - 1].step !== st.step)) {
    gpt.losses.push({ step: st.step, loss: st.loss, mean: st.mean_loss });
  }
  if (sample) {
    try {
      const names = JSON.parse(gpt.model.samples(10, Number($("gpt-temp").value)));
      const ol = $("gpt-samples");
      ol.textContent = "";
      for (const n of names) {
        const li = document.createElement("li");
        li.textContent = n || "(empty)";
        ol.appendChild(li);
      }
    } catch (e) {
      $("gpt-info").textContent = String(e.message || e);
    }
  }
  gptCurve();
}

// The loss per step (thin) and the engine's running mean over 50 steps (thick).
function gptCurve() {
  const cv = $("gpt-curve");
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  const pts = gpt.losses;
  if (pts.length < 2) return;
  const maxY = Math.max(...pts.map((p) => p.loss));
  const X = (s) => 4 + (s / 1000) * (cv.width - 8);
  const Y = (l) => cv.height - 4 - (l / maxY) * (cv.height - 16);
  ctx.strokeStyle = "rgba(8,119,189,0.35)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  pts.forEach((p, i) => (i ? ctx.lineTo(X(p.step), Y(p.loss)) : ctx.moveTo(X(p.step), Y(p.loss))));
  ctx.stroke();
  ctx.strokeStyle = "#0877bd";
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  pts.forEach((p, i) => (i ? ctx.lineTo(X(p.step), Y(p.mean)) : ctx.moveTo(X(p.step), Y(p.mean))));
  ctx.stroke();
  ctx.fillStyle = "#666";
  ctx.font = "10px sans-serif";
  ctx.fillText(`max ${maxY.toFixed(2)}`, 6, 11);
}

function gptLoop() {
  if (!gpt.playing || !gpt.model) return;
  const before = JSON.parse(gpt.model.stats()).step;
  const t0 = performance.now();
  const running = gpt.model.train(gpt.stepsPerFrame);
  const dt = performance.now() - t0;
  if (dt < BUDGET_MS * 0.6) gpt.stepsPerFrame = Math.min(GPT_MAX_STEPS_PER_FRAME, gpt.stepsPerFrame + 1);
  else if (dt > BUDGET_MS && gpt.stepsPerFrame > 1) gpt.stepsPerFrame--;
  const after = JSON.parse(gpt.model.stats()).step;
  gptRefresh(Math.floor(after / 25) !== Math.floor(before / 25) || !running);
  if (running && gpt.playing) requestAnimationFrame(gptLoop);
  else gptPause();
}

function gptPlay() {
  if (!gpt.model || gpt.playing) return;
  gpt.playing = true;
  $("gpt-play").disabled = true;
  $("gpt-pause").disabled = false;
  requestAnimationFrame(gptLoop);
}

function gptPause() {
  gpt.playing = false;
  $("gpt-play").disabled = false;
  $("gpt-pause").disabled = true;
}

// ----------------------------------------------------------------------------------------------
// Wiring
// ----------------------------------------------------------------------------------------------

function wire() {
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => setView(t.dataset.view));
  const expr = $("expr");
  expr.value = state.graph.expr;
  expr.addEventListener("input", () => { state.graph.expr = expr.value; updateExpression(); });
  $("preset").addEventListener("change", (e) => {
    const p = PRESETS[e.target.value];
    if (!p) return;
    state.graph = { expr: p.expr, vars: { ...p.vars } };
    expr.value = p.expr;
    e.target.value = "";
    updateExpression();
  });
  $("fwd").addEventListener("click", stepForward);
  $("bwd").addEventListener("click", stepBackward);
  $("finish").addEventListener("click", () => { gv.fwd = null; gv.bwd = 0; drawGraph(); });
  $("restart").addEventListener("click", () => { gv.fwd = 0; gv.bwd = 0; drawGraph(); });

  const ds = $("datasets");
  for (const name of DATASETS) {
    const b = document.createElement("button");
    b.textContent = name;
    b.dataset.name = name;
    b.dataset.testid = "dataset-" + name;
    b.addEventListener("click", () => { state.train.dataset = name; newPlayground(); });
    ds.appendChild(b);
  }
  const setting = (id, field, parse = (v) => v) => {
    $(id).addEventListener("change", (e) => { state.train[field] = parse(e.target.value); newPlayground(); });
  };
  setting("lr", "lr", Number);
  setting("rate", "reg_rate", Number);
  setting("act", "activation");
  setting("loss", "loss");
  setting("opt", "optimizer");
  setting("reg", "regularization");
  setting("noise", "noise", Number);
  setting("points", "points", Number);
  setting("test", "test_percent", Number);
  $("batch").addEventListener("change", (e) => {
    const n = Math.round(Number(e.target.value));
    if (Number.isFinite(n) && n >= 1 && n <= 2000) { state.train.batch = n; newPlayground(); }
    else { e.target.value = state.train.batch; notice("The batch size is a whole number from 1 to 2000."); }
  });
  for (const [id, out, suffix] of [["noise", "noise-out", ""], ["points", "points-out", ""], ["test", "test-out", "%"]]) {
    $(id).addEventListener("input", (e) => { $(out).textContent = e.target.value + suffix; });
  }
  $("regen").addEventListener("click", () => { state.train.seed = (state.train.seed % 100000) + 1; newPlayground(); });
  $("add-layer").addEventListener("click", () => {
    if (state.train.hidden.length < 6) { state.train.hidden.push(4); newPlayground(); }
  });
  $("remove-layer").addEventListener("click", () => {
    if (state.train.hidden.length > 0) { state.train.hidden.pop(); newPlayground(); }
  });
  $("play").addEventListener("click", play);
  $("pause").addEventListener("click", pause);
  $("step").addEventListener("click", () => { pause(); if (pg) { pg.train(1); refresh(true); } });
  $("reset").addEventListener("click", newPlayground);
  $("show-test").addEventListener("change", drawPoints);
  $("gpt-play").addEventListener("click", gptPlay);
  $("gpt-pause").addEventListener("click", gptPause);
  $("gpt-reset").addEventListener("click", gptReset);
  $("gpt-temp").addEventListener("change", () => gpt.model && gptRefresh(true));
  $("boundary-wrap").addEventListener("click", (ev) => {
    const r = ev.currentTarget.getBoundingClientRect();
    const D = mg.domain();
    const x = ((ev.clientX - r.left) / r.width) * 2 * D - D;
    const y = D - ((ev.clientY - r.top) / r.height) * 2 * D;
    // A click on a data point shows that example's loss; elsewhere, the score.
    const pts = JSON.parse(pg.points());
    let label = -1, best = (0.06 * D) ** 2;
    let px = x, py = y;
    for (const p of pts) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < best) { best = d; label = p.label; px = p.x; py = p.y; }
    }
    showPointGraph(px, py, label);
  });
  // A hash typed or pasted into the address bar (the page's own updates do not fire this).
  window.addEventListener("hashchange", start);
}

function start() {
  const problems = readHash();
  notice(problems.length ? `The link could not be read in full (${problems.join("; ")}): showing the defaults for that part.` : "");
  $("expr").value = state.graph.expr;
  updateExpression();
  newPlayground();
  setView(state.view);
}

async function main() {
  await init({ module_or_path: new URL("./pkg/micrograd_web_bg.wasm", import.meta.url) });
  $("loading").remove();
  $("boundary").width = $("boundary").height = mg.grid_size();
  wire();
  start();
}

window.addEventListener("error", (e) => notice("Something went wrong: " + e.message));
main().catch((e) => {
  $("loading").textContent = "The engine could not be loaded: " + e;
});
