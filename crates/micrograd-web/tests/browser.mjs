// The playground in a real browser: Debian's Chromium, headless, driven by playwright-core.
//
//   node tests/browser.mjs [SITE_DIR] [--screenshots DIR]
//
// SITE_DIR (default: target/site at the workspace root) is a site written by `cargo xtask site`; the
// script serves it with `cargo xtask serve` on 127.0.0.1 (any free port), then checks the lecture
// neuron's gradients from a URL, steps its backward pass to the end, shows a parse error with its
// column, falls back from a corrupt hash, stops a diverging run with a message, trains moons to 95%
// and xor to 90% test accuracy, and trains microgpt. Any error in the page's console fails the run.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { root, serve } from "./serve.mjs";

const args = process.argv.slice(2);
let site = join(root, "target/site");
let shots = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--screenshots") shots = resolve(args[++i]);
  else site = resolve(args[i]);
}

const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) { passed++; console.log(`ok   ${what}`); }
  else { failed++; console.log(`FAIL ${what}`); }
}


const NEURON_URL =
  "#view=graph&expr=" + encodeURIComponent("tanh(x1*w1 + x2*w2 + b)") +
  "&v.x1=2&v.x2=0&v.w1=-3&v.w2=1&v.b=6.8813735870195432";
const EXPECTED = { x1: -1.5, w1: 1.0, x2: 0.5, w2: 0.0 };

async function text(page, selector) {
  return (await page.locator(selector).textContent()).trim();
}

async function grads(page) {
  const out = {};
  for (const name of Object.keys(EXPECTED)) out[name] = Number(await text(page, `[data-testid="grad-${name}"]`));
  return out;
}

const gradsRight = (g) => Object.entries(EXPECTED).every(([k, v]) => Math.abs(g[k] - v) < 1e-4);

async function main() {
  const { child, url } = await serve(site);
  const profile = mkdtempSync(join(tmpdir(), "micrograd-chromium-"));
  const errors = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));

    // 1. The lecture neuron from a URL.
    await page.goto(url + NEURON_URL);
    await page.waitForSelector('[data-testid="grad-x1"]');
    check((await text(page, '[data-testid="value"]')) === "0.7071", "the neuron's value is 0.7071");
    const g0 = await grads(page);
    check(gradsRight(g0), `the gradients shown: ${JSON.stringify(g0)}`);

    // 2. The backward pass, one node at a time, to the end.
    const back = page.locator('[data-testid="backward-step"]');
    let steps = 0;
    while (!(await back.isDisabled()) && steps < 100) { await back.click(); steps++; }
    const info = await text(page, '[data-testid="step-info"]');
    check(steps === 6 && info.includes("Backward pass done"), `backward pass stepped to the end in ${steps} steps`);
    const g1 = await grads(page);
    check(gradsRight(g1), `the gradients after stepping: ${JSON.stringify(g1)}`);
    check((await page.locator("#graph g.record").count()) === 10, "the graph has 10 values");
    if (shots) {
      mkdirSync(shots, { recursive: true });
      // Mid-way through the backward pass, to show a step.
      await page.locator('[data-testid="steps-reset"]').click();
      const fwd = page.locator('[data-testid="forward-step"]');
      while (!(await fwd.isDisabled())) await fwd.click();
      for (let i = 0; i < 3; i++) await back.click();
      await page.screenshot({ path: join(shots, "playground_graph.png"), fullPage: true });
    }

    // 3. A parse error, with its column; a leaf edited.
    await page.locator('[data-testid="expr"]').fill("x1 + * w1");
    const err = await text(page, '[data-testid="expr-error"]');
    check(err.includes("column 6") && err.includes("^"), `a parse error shows its column: ${JSON.stringify(err)}`);
    await page.locator('[data-testid="expr"]').fill("x*x + 3*x");
    await page.locator('[data-testid="input-x"]').fill("2");
    check((await text(page, '[data-testid="grad-x"]')) === "7.0000", "editing a leaf updates the grads");

    // 4. A corrupt hash: defaults, and a notice.
    await page.goto(url + "#view=train&lr=abc&%E0%A4%A=1&net=9,9");
    await page.waitForSelector('[data-testid="accuracy"]');
    const notice = await page.locator('[data-testid="notice"]');
    check((await notice.isVisible()) && (await text(page, '[data-testid="notice"]')).includes("defaults"), "a corrupt hash falls back to the defaults and says so");

    // A link reopens the same training view.
    const link = "#view=train&data=xor&noise=0.2&n=300&test=30&seed=7&feat=x,y,xy&net=4,2&act=relu&loss=bce&opt=momentum&lr=0.1&reg=l2&rate=0.001&batch=20";
    await page.goto(url + link);
    await page.reload();
    await page.waitForSelector('[data-testid="neuron-2-2"]');
    const same = await page.evaluate(() => ({
      hash: decodeURIComponent(location.hash),
      xor: document.querySelector('[data-testid="dataset-xor"]').classList.contains("active"),
      act: document.querySelector('[data-testid="activation"]').value,
      neurons: document.querySelectorAll('.neuron:not(.feature)').length,
      notice: document.querySelector('[data-testid="notice"]').hidden,
    }));
    const want = new URLSearchParams(link.slice(1));
    const got = new URLSearchParams(same.hash.slice(1));
    const kept = [...want].every(([k, v]) => got.get(k) === v);
    check(kept && same.xor && same.act === "relu" && same.neurons === 4 + 2 + 1 && same.notice, "a link reopens the same training view");

    // A link clicked: its weight edited.
    await page.locator('[data-testid="link-0-0-0"]').dispatchEvent("click");
    const editor = page.locator('[data-testid="weight-editor"]');
    await editor.fill("2.5");
    await editor.press("Enter");
    const title = await page.locator('[data-testid="link-0-0-0"] title').textContent();
    check(title.includes("weight 2.5000"), `a link's weight can be edited (${title})`);

    // 5. A diverging learning rate stops training with a message.
    await page.goto(url + "#view=train&loss=mse&act=relu&opt=sgd&lr=10&batch=1");
    await page.reload();
    await page.locator('[data-testid="play"]').click();
    const msg = page.locator('[data-testid="train-message"]');
    await msg.waitFor({ state: "visible", timeout: 30000 }).catch(() => {});
    check((await msg.isVisible()) && (await msg.textContent()).includes("learning rate"), "a diverging learning rate stops training with a message");

    // 6. Moons to 95% test accuracy, keeping frames coming while it trains.
    await page.goto(url + "#view=train&data=moons");
    await page.reload();
    await page.waitForSelector('[data-testid="accuracy"]');
    await page.locator('button[data-testid="play"]').click();
    const fps = await page.evaluate(() => new Promise((ok) => {
      let n = 0;
      const t0 = performance.now();
      const tick = () => { n++; if (performance.now() - t0 < 2000) requestAnimationFrame(tick); else ok((n * 1000) / (performance.now() - t0)); };
      requestAnimationFrame(tick);
    }));
    console.log(`     ${fps.toFixed(0)} frames per second while training`);
    let acc = 0;
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline) {
      acc = Number(await text(page, '[data-testid="accuracy"]'));
      if (acc >= 95) break;
      await page.waitForTimeout(250);
    }
    await page.locator('[data-testid="pause"]').click();
    const step = Number(await text(page, 'output[data-testid="step"]'));
    check(acc >= 95, `moons trains to ${acc}% test accuracy (step ${step})`);
    check(fps >= 20, `the page keeps drawing while it trains (${fps.toFixed(0)} fps)`);
    if (shots) await page.screenshot({ path: join(shots, "playground_train.png"), fullPage: true });

    // 7. A point picked on the decision boundary: its forward graph in the graph view.
    await page.locator('[data-testid="boundary"]').click({ position: { x: 200, y: 120 } });
    await page.waitForSelector('[data-testid="point-banner"]:visible');
    const values = await page.locator("#graph g.record").count();
    check(values > 100, `the network's graph at a point has ${values} values`);

    // 8. xor (the library's generator: the quadrants, by the sign of x·y): points of both classes on
    // the right sides of the axes, and it trains to 90% test accuracy with the feature xy.
    await page.goto(url + "#view=train&data=xor&feat=x,y,xy");
    await page.reload();
    await page.waitForSelector('[data-testid="accuracy"]');
    const quadrants = await page.evaluate(() => {
      const out = { blue: 0, orange: 0, right: 0 };
      for (const c of document.querySelectorAll("#points-svg circle")) {
        const blue = c.getAttribute("fill") === "#0877bd";
        out[blue ? "blue" : "orange"]++;
        // the square is 360 px wide, centred on 180: class 1 (blue) where x·y > 0
        const xy = (Number(c.getAttribute("cx")) - 180) * (180 - Number(c.getAttribute("cy")));
        if ((xy > 0) === blue) out.right++;
      }
      return out;
    });
    const shown = quadrants.blue + quadrants.orange;
    check(quadrants.blue > 0 && quadrants.orange > 0 && quadrants.right >= 0.9 * shown,
      `xor shows both classes in their quadrants (${JSON.stringify(quadrants)})`);
    await page.locator('button[data-testid="play"]').click();
    let xacc = 0;
    const xdeadline = Date.now() + 60000;
    while (Date.now() < xdeadline) {
      xacc = Number(await text(page, '[data-testid="accuracy"]'));
      if (xacc >= 90) break;
      await page.waitForTimeout(250);
    }
    await page.locator('[data-testid="pause"]').click();
    const xstep = Number(await text(page, 'output[data-testid="step"]'));
    check(xacc >= 90, `xor trains to ${xacc}% test accuracy with x, y, xy (step ${xstep})`);

    // 9. The GPT tab: microgpt on names learns in the page.
    await page.goto(url + "#view=gpt");
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="gpt-samples"] li').length > 0, null, { timeout: 30000 });
    await page.locator('[data-testid="gpt-play"]').click();
    const t0 = Date.now();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="gpt-step"]').textContent) >= 300, null, { timeout: 120000 });
    const secs = (Date.now() - t0) / 1000;
    await page.locator('[data-testid="gpt-pause"]').click();
    const gstep = Number(await text(page, '[data-testid="gpt-step"]'));
    const mean = Number(await text(page, '[data-testid="gpt-loss"]'));
    console.log(`     microgpt: ${gstep} steps in ${secs.toFixed(1)} s (the page paces it at up to 2 steps a frame)`);
    const samples = await page.locator('[data-testid="gpt-samples"] li').allTextContents();
    // Untrained, the loss is about ln(27) = 3.3; microgpt is near 2.7 after 300 steps.
    check(gstep >= 300 && mean < 3.0 && samples.length === 10, `microgpt learns in the page (step ${gstep}, mean loss ${mean}, samples: ${samples.join(" ")})`);
    if (shots) await page.screenshot({ path: join(shots, "playground_gpt.png"), fullPage: true });

    check(errors.length === 0, `no errors in the console${errors.length ? ": " + errors.join(" | ") : ""}`);
  } finally {
    await context.close();
    try { process.kill(-child.pid); } catch { /* already gone */ }
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
