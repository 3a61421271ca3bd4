// Frames per second while the training view trains, in Debian's Chromium, headless.
//
//   node tests/fps.mjs [SITE_DIR] [--seconds S] [--runs N]
//
// SITE_DIR (default: target/site at the workspace root) is a site written by `cargo xtask site`. For
// the default network (8, 8), a 6 × 8 one and a 6 × 8 one on all seven features, it presses play on
// moons and counts requestAnimationFrame callbacks over S seconds (default 5), N times (default 2),
// printing frames per second, the steps trained per second and the machine's load average. A
// measurement, not a test: it fails only if the page does not load or train.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { root, serve } from "./serve.mjs";

const args = process.argv.slice(2);
let site = join(root, "target/site");
let seconds = 5;
let runs = 2;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--seconds") seconds = Number(args[++i]);
  else if (args[i] === "--runs") runs = Number(args[++i]);
  else site = resolve(args[i]);
}


const NETWORKS = [
  ["default 8, 8", "net=8,8"],
  ["6 × 8", "net=8,8,8,8,8,8"],
  ["6 × 8, all seven features", "net=8,8,8,8,8,8&feat=x,y,x2,y2,xy,sinx,siny"],
];

const { child, url } = await serve(site);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  for (const [name, hash] of NETWORKS) {
    for (let run = 0; run < runs; run++) {
      await page.goto(`${url}#view=train&data=moons&${hash}`);
      await page.reload();
      await page.waitForSelector('[data-testid="accuracy"]');
      const step0 = Number(await page.locator('output[data-testid="step"]').textContent());
      await page.locator('button[data-testid="play"]').click();
      const fps = await page.evaluate((ms) => new Promise((ok) => {
        let n = 0;
        const t0 = performance.now();
        const tick = () => {
          n++;
          if (performance.now() - t0 < ms) requestAnimationFrame(tick);
          else ok((n * 1000) / (performance.now() - t0));
        };
        requestAnimationFrame(tick);
      }), seconds * 1000);
      await page.locator('[data-testid="pause"]').click();
      const steps = Number(await page.locator('output[data-testid="step"]').textContent()) - step0;
      const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      console.log(`${name}: ${fps.toFixed(1)} fps, ${(steps / seconds).toFixed(0)} steps/s, load average ${load}`);
    }
  }
} finally {
  await browser.close();
  try { process.kill(-child.pid); } catch { /* already gone */ }
}
