// Serves a site written by `cargo xtask site` with the project's own server (`cargo xtask serve`,
// 127.0.0.1, any free port), for the scripts beside this one. Resolves to { child, url } once the
// server prints its URL; `child` leads a process group (kill it with `process.kill(-child.pid)`).
import { spawn } from "node:child_process";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export function serve(site) {
  const cargo = process.env.CARGO || "cargo";
  const child = spawn(cargo, ["run", "-q", "-p", "xtask", "--", "serve", site, "--port", "0"], {
    cwd: root, stdio: ["ignore", "pipe", "inherit"], detached: true,
  });
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error("the server printed no URL in 120 s")), 120000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); ok({ child, url: m[0] }); }
    });
    child.on("exit", (code) => fail(new Error(`the server exited (${code})`)));
  });
}
