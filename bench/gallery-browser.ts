/// <reference lib="dom" />
// The gallery as a browser meets it: a local control plane, the operator (as it ships, bundled, with
// the built web app), --artworks Artworks (default 2,000) in one namespace. The newest 60 (the grid's
// first page) and one in 5 of the next 940 are rendered for real by one worker (64×64, 2 steps, 1
// variation) so the grid shows their images; the rest wait on a pool without workers (Pending).
// Then, in Debian's Chromium: time to the first card painted, first-contentful-paint and time to
// interactive (the first page rendered and its on-screen thumbnails decoded), cold (a new profile)
// and warm (its second visit: service worker and HTTP cache warm), --visits times each; a scroll
// through --scroll Artworks (default 1,000) with infinite scroll, its frame rate and long tasks; the
// list API's page latency as the page saw it (Resource Timing) over all of that; the operator's RSS
// before, during and after. Last, Lighthouse (desktop preset; performance, accessibility)
// --lighthouse-runs times. Everything it made goes with the control plane at the end, and it stops
// by itself after 10 minutes.
// Run: npx tsx bench/gallery-browser.ts [--artworks 2000] [--visits 5] [--scroll 1000] [--lighthouse-runs 3]
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { BrowserContext, Page } from "playwright-core";
import { MOODS, type ArtworkSpec } from "../crds/artwork.ts";
import { QUICK } from "../test/support/artworks.ts";
import { CHROMIUM, galleryChromiumArgs, launchGalleryBrowser } from "../test/support/browser.ts";
import { waitFor, waitForOperatorReady, waitForWorkerReady } from "../test/support/waits.ts";
import { galleryList } from "./gallery-list.ts";
import { LocalCluster } from "./local-cluster.ts";
import { machineFacts, numberFlag, percentile, printTable, rssMb, since, type Figure } from "./report.ts";

const ARTWORKS = numberFlag("artworks", 2000);
const VISITS = numberFlag("visits", 5);
const SCROLL = Math.min(numberFlag("scroll", 1000), ARTWORKS);
const LIGHTHOUSE_RUNS = numberFlag("lighthouse-runs", 3);
/** The grid's page size (gallery/src/artwork-grid.ts): the newest this many are all rendered. */
const FIRST_PAGE = Math.min(60, ARTWORKS);
/** Below the first page, one Artwork in this many (within the part scrolled through) is rendered. */
const RENDERED_EVERY = 5;
/** A brisk, steady scroll; the frames and long tasks are what it costs the page. */
const SCROLL_PX_PER_S = 3000;
const DEADLINE_MS = 10 * 60_000;
const LIGHTHOUSE_TIMEOUT_MS = 120_000;
const TOKEN_COOKIE = "aria-token";
const SUBJECTS = ["fox in a forest", "harbour at dusk", "lighthouse in a storm", "carnival at night"];
const COLOURS = ["red", "blue", "golden", "green", "violet"];

/** Position in the grid (0 = top): rendered ones fill the first page and dot the scrolled part. */
const rendered = (p: number) => p < FIRST_PAGE || (p < SCROLL && p % RENDERED_EVERY === 0);
const RENDERED = Array.from({ length: ARTWORKS }, (_, p) => p).filter(rendered).length;

const run = promisify(execFile);
const LIGHTHOUSE_VERSION = (
  JSON.parse(await readFile(new URL("../node_modules/lighthouse/package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const chromiumVersion = (await run(CHROMIUM, ["--version"])).stdout.trim();
machineFacts({
  Scenario: `${ARTWORKS} Artworks in one namespace, ${RENDERED} rendered by one worker (64×64, 2 steps, 1 variation), the rest Pending; ${VISITS} cold + warm visits, a ${SCROLL}-Artwork scroll at ${SCROLL_PX_PER_S} px/s, ${LIGHTHOUSE_RUNS} Lighthouse runs`,
  Browser: `${chromiumVersion}, headless, 1280×900, software rendering (--disable-gpu)`,
  Operator:
    "dist/aria-operator.mjs and dist/gallery (npm run build), MALLOC_ARENA_MAX=2, --max-semi-space-size=4",
});

const cluster = await LocalCluster.start();
let browser: BrowserContext | undefined;
let lighthouse: ChildProcess | undefined;
let stopping: Promise<void> | undefined;
/** Closes the browser, Lighthouse's Chromium and the cluster, once, whichever way the bench ends. */
const stopAll = () =>
  (stopping ??= (async () => {
    lighthouse?.kill("SIGINT");
    await browser?.close().catch(() => undefined);
    await cluster.stop();
  })());
const deadline = setTimeout(() => {
  console.error(`bench/gallery-browser.ts ran past ${DEADLINE_MS / 60_000} minutes: stopping`);
  void stopAll().finally(() => process.exit(1));
}, DEADLINE_MS);

try {
  const ns = await cluster.namespace(`gallery-${Date.now().toString(36)}`);
  await cluster.pool(ns, "studio", { replicas: 1 });
  await cluster.pool(ns, "waiting", { replicas: 0 });
  const operator = cluster.operator(ns);
  const worker = cluster.worker(ns, "studio", "w1");
  await waitForOperatorReady(operator);
  await waitForWorkerReady(worker, 300_000);
  const token = cluster.cp.tokens.admin;
  const { count } = galleryList(operator, ns, { ca: cluster.tls.ca, token });

  const setup = performance.now();
  // Oldest first; names count down, so the gallery's order (newest first, then by name within the
  // API server's whole seconds) is art-0000 at the top to the last at the bottom, whatever the timing.
  await cluster.createArtworks(ns, ARTWORKS, (i) => {
    const p = ARTWORKS - 1 - i;
    const spec: ArtworkSpec = {
      prompt: `a ${COLOURS[p % COLOURS.length]} ${SUBJECTS[p % SUBJECTS.length]}, study ${p}`,
      mood: MOODS[p % MOODS.length],
      ...QUICK,
      poolRef: { name: rendered(p) ? "studio" : "waiting" },
    };
    return { name: `art-${String(p).padStart(4, "0")}`, spec };
  });
  const created = since(setup);
  await waitFor(
    `the operator's cache holds ${ARTWORKS} Artworks, ${RENDERED} of them Succeeded`,
    async () => ({ all: await count(), done: await count("&phase=Succeeded") }),
    (n) => n.all === ARTWORKS && n.done === RENDERED,
    { timeoutMs: 300_000, intervalMs: 2000, proc: operator },
  );
  await worker.kill("SIGKILL"); // its work is done; it would only take CPU from the browser
  console.log(
    `${ARTWORKS} Artworks created in ${(created / 1000).toFixed(1)} s, ${RENDERED} rendered ${(since(setup) / 1000).toFixed(1)} s after the first create\n`,
  );

  const origin = `https://127.0.0.1:${await operator.securePort()}`;
  const url = `${origin}/#/${ns}`;
  const rss = { before: rssMb(operator.child.pid!), samples: [] as number[] };
  const sampler = setInterval(() => rss.samples.push(rssMb(operator.child.pid!)), 250);

  const cold: Visit[] = [];
  const warm: Visit[] = [];
  const apiMs: number[] = [];
  let scroll: ScrollFigures | undefined;
  for (let v = 0; v < VISITS; v++) {
    browser = await launchGalleryBrowser({
      certFile: cluster.tls.certFile,
      profile: join(cluster.dir, `chromium-${v}`),
    });
    // Signed in as a returning person is: the token in localStorage and in the images' cookie.
    await browser.addCookies([
      {
        name: TOKEN_COOKIE,
        value: token,
        domain: "127.0.0.1",
        path: "/api/",
        secure: true,
        sameSite: "Strict",
      },
    ]);
    await browser.addInitScript({ content: instrumentation(token) });
    const page = browser.pages()[0] ?? (await browser.newPage());
    cold.push(await visit(page, url));
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)");
    apiMs.push(...(await apiSamples(page)));
    await page.goto("about:blank");
    warm.push(await visit(page, url));
    if (v === VISITS - 1) scroll = await scrollThrough(page);
    apiMs.push(...(await apiSamples(page)));
    await browser.close();
    browser = undefined;
  }
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 2000));
  const rssAfter = rssMb(operator.child.pid!);

  const audits: LighthouseFigures[] = [];
  const headers = join(cluster.dir, "lighthouse-headers.json");
  await writeFile(headers, JSON.stringify({ Authorization: `Bearer ${token}` }));
  const flags = ["--headless=new", ...(await galleryChromiumArgs(cluster.tls.certFile))];
  for (let r = 0; r < LIGHTHOUSE_RUNS; r++) audits.push(await runLighthouse(url, flags, headers, r));

  const missed: Figure[] = [];
  const label = {
    firstCard: "first card painted",
    fcp: "first-contentful-paint",
    interactive: "interactive (first page, thumbnails decoded)",
  } as const;
  missed.push(
    ...printTable(`Gallery in Chromium, ${ARTWORKS} Artworks (${RENDERED} rendered), ${VISITS} visits each`, [
      ...(["firstCard", "fcp", "interactive"] as const).flatMap((key) =>
        (["cold", "warm"] as const).map((cache) =>
          fig(
            `${label[key]}, ${cache}`,
            (cache === "cold" ? cold : warm).map((v) => v[key]),
            "ms",
            key === "firstCard" && cache === "warm" ? { op: "≤", value: 1000 } : undefined,
          ),
        ),
      ),
      fig(
        "thumbnails on screen when interactive",
        warm.map((v) => v.thumbnails),
        "",
      ),
    ]),
  );
  if (scroll) {
    const f = scroll;
    const reached = `${f.reached ? "reached" : "NOT reached"} in ${(f.ms / 1000).toFixed(1)} s`;
    missed.push(
      ...printTable(
        `Infinite scroll through ${SCROLL} Artworks at ${SCROLL_PX_PER_S} px/s (warm; ${f.cards} cards loaded, ${reached})`,
        [
          { figure: "frame rate", samples: [(f.frames.length * 1000) / f.ms], unit: "fps" },
          { figure: "frame time p99", samples: [percentile(f.frames, 99)], unit: "ms" },
          fig("longest frame", [Math.max(...f.frames)]),
          fig("frames over 50 ms", [f.frames.filter((t) => t > 50).length], ""),
          fig("long tasks (PerformanceObserver)", [f.longtasks.length], ""),
          fig("long tasks, total", [f.longtasks.reduce((x, y) => x + y, 0)]),
          fig("longest task", [Math.max(0, ...f.longtasks)]),
        ],
      ),
    );
  }
  const pages = `as the page saw it, ${apiMs.length} pages`;
  missed.push(
    ...printTable("Operator while browsing", [
      { figure: `list API page latency p50 (${pages})`, samples: [percentile(apiMs, 50)], unit: "ms" },
      {
        figure: `list API page latency p99 (${pages})`,
        samples: [percentile(apiMs, 99)],
        unit: "ms",
        target: { op: "≤", value: 100 },
      },
      { figure: "operator RSS before browsing", samples: [rss.before], unit: "MiB" },
      { figure: "operator RSS peak while browsing", samples: [Math.max(...rss.samples)], unit: "MiB" },
      { figure: "operator RSS after browsing", samples: [rssAfter], unit: "MiB" },
    ]),
  );
  const of = (key: keyof LighthouseFigures) => audits.map((l) => l[key] as number);
  missed.push(
    ...printTable(`Lighthouse ${LIGHTHOUSE_VERSION} (desktop preset), the grid, ${LIGHTHOUSE_RUNS} runs`, [
      fig("performance score", of("performance"), "", { op: "≥", value: 90 }),
      fig("accessibility score", of("accessibility"), "", { op: "≥", value: 90 }),
      fig("first-contentful-paint", of("fcp")),
      fig("largest-contentful-paint", of("lcp")),
      fig("total blocking time", of("tbt")),
      { figure: "cumulative layout shift", samples: of("cls"), unit: "", digits: 3 },
    ]),
  );
  const failing = [...new Set(audits.flatMap((l) => l.failingAccessibility))];
  console.log(`Lighthouse accessibility audits failed: ${failing.length ? "" : "none"}`);
  for (const f of failing) console.log(`  ${f}`);
  if (missed.length > 0) console.log(`Missed: ${missed.map((f) => f.figure).join("; ")}`);
} finally {
  clearTimeout(deadline);
  await stopAll();
}

/** A whole-number figure (ms by default). */
function fig(figure: string, samples: number[], unit = "ms", target?: Figure["target"]): Figure {
  return { figure, samples, unit, digits: 0, ...(target ? { target } : {}) };
}

interface Visit {
  /** From navigation start: the first frame begun after one that painted a card on screen. */
  firstCard: number;
  fcp: number;
  /** The first page's cards rendered and every thumbnail on screen decoded (the frame after). */
  interactive: number;
  thumbnails: number;
}

interface ScrollFigures {
  ms: number;
  /** Each frame's duration, ms. */
  frames: number[];
  /** Each long task's duration, ms. */
  longtasks: number[];
  cards: number;
  reached: boolean;
}

/**
 * What every page of the gallery runs first: the token as the sign-in dialog keeps it, observers
 * for long tasks and the list API's Resource Timing, a per-frame watch for the first card and for
 * interactivity, and the scroll driver. A string, so that no compiler helper ends up in the page.
 */
function instrumentation(token: string): string {
  return `(() => {
  if (location.protocol !== "https:") return;
  if (!localStorage.getItem("aria-token")) localStorage.setItem("aria-token", ${JSON.stringify(token)});
  const b = (window.__bench = { api: [], longtasks: [] });
  const LIST = /\\/api\\/namespaces\\/[^/]+\\/artworks\\?/;
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if (LIST.test(e.name)) b.api.push(e.duration);
  }).observe({ type: "resource", buffered: true });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) b.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  const grid = () => document.querySelector("aria-app")?.shadowRoot?.querySelector("artwork-grid")?.shadowRoot;
  const onScreen = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.bottom > 0 && r.top < innerHeight;
  };
  let painted = false;
  let deciding = false;
  const watch = (t) => {
    const cards = [...(grid()?.querySelectorAll("a.card") ?? [])];
    if (painted && b.firstCard === undefined) b.firstCard = t;
    if (!painted && cards.some(onScreen)) painted = true;
    if (!deciding && cards.length >= ${FIRST_PAGE}) {
      const imgs = cards.filter(onScreen).map((c) => c.querySelector("img")).filter(Boolean);
      if (imgs.every((i) => i.complete && i.naturalWidth > 0)) {
        deciding = true;
        Promise.all(imgs.map((i) => i.decode())).then(
          () => requestAnimationFrame((t2) => { b.interactive = t2; b.thumbnails = imgs.length; }),
          () => { deciding = false; },
        );
      }
    }
    if (b.interactive === undefined) requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
  b.scroll = (target, pxPerS, timeoutMs) => new Promise((resolve) => {
    const root = grid();
    const start = performance.now();
    const frames = [];
    let last;
    let owed = 0;
    const step = (t) => {
      if (last !== undefined) frames.push(t - last);
      const dt = last === undefined ? 0 : t - last;
      last = t;
      const cards = root.querySelectorAll("a.card");
      const goal = cards[target - 1];
      const reached = Boolean(goal) && goal.getBoundingClientRect().bottom <= innerHeight;
      if (reached || performance.now() - start > timeoutMs) {
        const end = performance.now();
        resolve({
          ms: end - start,
          frames,
          longtasks: b.longtasks.filter(([s]) => s >= start).map(([, d]) => d),
          cards: cards.length,
          reached,
        });
        return;
      }
      owed += (pxPerS * dt) / 1000;
      const px = Math.floor(owed);
      owed -= px;
      scrollBy(0, px);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
})();`;
}

/** Opens the grid and waits until it is interactive; its timings from navigation start. */
async function visit(page: Page, at: string): Promise<Visit> {
  await page.goto(at);
  // A function, not a string: the gallery's Content-Security-Policy forbids eval in the page.
  await page.waitForFunction(
    () => (window as unknown as { __bench?: { interactive?: number } }).__bench?.interactive !== undefined,
    null,
    { timeout: 60_000 },
  );
  return (await page.evaluate(`({
    firstCard: window.__bench.firstCard,
    interactive: window.__bench.interactive,
    thumbnails: window.__bench.thumbnails,
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
  })`)) as Visit;
}

/** The list API pages this document fetched so far, each request's duration as the page saw it. */
async function apiSamples(page: Page): Promise<number[]> {
  return (await page.evaluate("window.__bench.api.splice(0)")) as number[];
}

async function scrollThrough(page: Page): Promise<ScrollFigures> {
  const timeoutMs = 180_000;
  return (await page.evaluate(
    `window.__bench.scroll(${SCROLL}, ${SCROLL_PX_PER_S}, ${timeoutMs})`,
  )) as ScrollFigures;
}

interface LighthouseFigures {
  performance: number;
  accessibility: number;
  fcp: number;
  lcp: number;
  tbt: number;
  cls: number;
  failingAccessibility: string[];
}

interface LighthouseResult {
  runtimeError?: { code: string; message: string };
  categories: Record<string, { score: number | null; auditRefs: Array<{ id: string; weight: number }> }>;
  audits: Record<
    string,
    {
      title: string;
      score: number | null;
      numericValue?: number;
      details?: { items?: Array<{ node?: { snippet?: string; explanation?: string } }> };
    }
  >;
}

/**
 * One Lighthouse run from its CLI, which starts Chromium through chrome-launcher (CHROME_PATH) with
 * this machine's flags. The token goes as an extra header on every request: Lighthouse resets the
 * origin's storage before it loads the page, so a token in localStorage would not survive.
 */
async function runLighthouse(
  at: string,
  flags: string[],
  headersFile: string,
  r: number,
): Promise<LighthouseFigures> {
  const out = join(cluster.dir, `lighthouse-${r}.json`);
  const bin = new URL("../node_modules/lighthouse/cli/index.js", import.meta.url).pathname;
  const args = [
    bin,
    at,
    `--chrome-flags=${flags.join(" ")}`,
    "--preset=desktop",
    "--only-categories=performance,accessibility",
    `--extra-headers=${headersFile}`,
    "--output=json",
    `--output-path=${out}`,
    "--quiet",
  ];
  const code = await new Promise<number | null>((resolve) => {
    lighthouse = spawn(process.execPath, args, {
      env: { ...process.env, CHROME_PATH: CHROMIUM },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const timer = setTimeout(() => lighthouse?.kill("SIGINT"), LIGHTHOUSE_TIMEOUT_MS);
    lighthouse.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  lighthouse = undefined;
  if (code !== 0) throw new Error(`lighthouse exited with ${code}`);
  const lhr = JSON.parse(await readFile(out, "utf8")) as LighthouseResult;
  if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  const num = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
  const score = (id: string) => Math.round((lhr.categories[id]?.score ?? NaN) * 100);
  return {
    performance: score("performance"),
    accessibility: score("accessibility"),
    fcp: num("first-contentful-paint"),
    lcp: num("largest-contentful-paint"),
    tbt: num("total-blocking-time"),
    cls: num("cumulative-layout-shift"),
    failingAccessibility: (lhr.categories.accessibility?.auditRefs ?? [])
      .filter(
        (ref) => ref.weight > 0 && lhr.audits[ref.id]?.score !== null && (lhr.audits[ref.id]?.score ?? 1) < 1,
      )
      .map((ref) => {
        const audit = lhr.audits[ref.id]!;
        // The first few elements it names, so that whoever fixes the markup knows where to look.
        const nodes = (audit.details?.items ?? []).slice(0, 3).map((i) => i.node?.snippet ?? "");
        return `${ref.id} (${audit.title}) on ${nodes.join(", ")}`;
      }),
  };
}
