/// <reference lib="dom" />
// The gallery as a person meets it, in Debian's Chromium against the operator and a real worker:
// the grid, the detail with every candidate's scores, creating one and watching it form, reactions
// counted exactly as clicked (online and offline), installability, and who may see what.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEARNING_STATE } from "../../crds/api.ts";
import { FEEDBACK_ACTIONS, type LearningState } from "../../crds/learning-state.ts";
import {
  aria,
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  listArtworks,
  QUICK,
} from "../support/artworks.ts";
import { buildGallery, launchGalleryBrowser } from "../support/browser.ts";
import { controlPlane, createNamespace, servingTls } from "../support/cluster.ts";
import { httpsJson } from "../support/https.ts";
import {
  startOperator,
  startWorker,
  stopAll,
  type OperatorProc,
  type WorkerProc,
} from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

/** Where the screenshots go (test artefacts, not committed). */
export const SCREENSHOTS = join(import.meta.dirname, "..", "..", ".aria", "screenshots");

let ns: string;
let operator: OperatorProc;
let worker: WorkerProc;
let browser: BrowserContext;
let page: Page;
let origin: string;

async function events(action: string) {
  const ls = await aria()
    .get<LearningState>(LEARNING_STATE, ns, "studio")
    .catch(() => undefined);
  return ls?.status?.events?.[action] ?? 0;
}

async function shot(name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  const galleryBuilt = buildGallery();
  ns = await createNamespace("browse");
  operator = startOperator(ns);
  await waitForLeading(operator);
  await createPool(ns, "studio", { replicas: 1 });
  worker = startWorker(ns, "studio", "w1");
  await waitForWorkerReady(worker);
  for (const [name, mood] of [
    ["harbour", "serene"],
    ["carnival", "joyful"],
  ] as const) {
    await createArtwork(ns, name, {
      ...QUICK,
      width: 128,
      height: 128,
      variations: 3,
      mood,
      prompt: `a ${name} at dusk, oil painting`,
      poolRef: { name: "studio" },
    });
  }
  await eventually(
    () => Promise.all(["harbour", "carnival"].map((n) => getArtwork(ns, n))),
    (arts) => arts.every(isReady),
    120_000,
    500,
  );
  await galleryBuilt;
  origin = `https://127.0.0.1:${await operator.securePort()}`;
  browser = await launchGalleryBrowser();
  page = browser.pages()[0] ?? (await browser.newPage());
}, 300_000);

afterAll(async () => {
  // The processes' logs beside the screenshots, for whoever looks at a failure.
  await writeFile(join(SCREENSHOTS, "operator.log"), operator?.output() ?? "");
  await writeFile(join(SCREENSHOTS, "worker.log"), worker?.output() ?? "");
  await browser?.close();
  await stopAll();
});

describe("the gallery in a browser", () => {
  it("asks for a token, then shows the namespace's Artworks as a grid of their images", async () => {
    await page.goto(`${origin}/#/${ns}`);
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Kubernetes bearer token").fill(controlPlane().tokens.admin);
    await dialog.getByRole("button", { name: "Save" }).click();
    const cards = page.locator("a.card");
    await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(2);
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-artwork")))).toEqual([
      "carnival",
      "harbour",
    ]);
    // Every thumbnail arrived and decoded.
    await expect
      .poll(() =>
        page
          .locator("a.card img")
          .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth)),
      )
      .toEqual([128, 128]);
    await shot("grid");
  });

  it("opens an Artwork with every candidate side by side and its scores", async () => {
    await page.locator('a.card[data-artwork="harbour"]').click();
    const candidates = page.locator("figure[data-candidate]");
    await expect.poll(() => candidates.count(), { timeout: 10_000 }).toBe(3);
    const art = await getArtwork(ns, "harbour");
    for (const c of art.status?.candidates ?? []) {
      const row = page.locator(`figure[data-candidate="${c.index}"]`);
      expect(await row.locator('td[data-score="ensemble"]').textContent()).toBe(c.scores.ensemble.toFixed(3));
      expect(await row.locator('td[data-score="clip"]').textContent()).toBe(c.scores.clip.toFixed(3));
      expect(await row.locator('td[data-score="aesthetic"]').textContent()).toBe(
        c.scores.aesthetic.toFixed(2),
      );
      expect(await row.locator('td[data-score="technical"]').textContent()).toBe(
        c.scores.technical.toFixed(3),
      );
      expect(await row.locator('td[data-score="confidence"]').textContent()).toBe(
        c.scores.confidence.toFixed(3),
      );
    }
    expect(await page.locator("figure.candidate.selected").getAttribute("data-candidate")).toBe(
      String(art.status?.selected?.index),
    );
    expect(await page.locator("pre").textContent()).toContain("prompt: a harbour at dusk, oil painting");
    await shot("detail");
  });

  it("counts a love click once, and ten rapid clicks as ten", async () => {
    const before = { love: await events("love"), like: await events("like") };
    await page.locator('button[data-action="love"]').click();
    await eventually(
      () => events("love"),
      (n) => n === before.love + 1,
      60_000,
      250,
    );
    const like = page.locator('button[data-action="like"]');
    for (let i = 0; i < 10; i++) await like.click();
    expect(await page.locator('[data-count="like"]').textContent()).toBe(String(10));
    await eventually(
      () => events("like"),
      (n) => n >= before.like + 10,
      60_000,
      250,
    );
    // Nothing more arrives later: no click was doubled.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await events("like")).toBe(before.like + 10);
    expect(await events("love")).toBe(before.love + 1);
  });

  it("creates an Artwork from the form, shows its live preview frames in order, then the result", async () => {
    await page.goto(`${origin}/#/create`);
    await expect.poll(() => page.getByTestId("suggestion").count(), { timeout: 10_000 }).toBe(1);
    await page.getByLabel("Prompt", { exact: true }).fill("a lighthouse in a storm, watercolor");
    await page.getByLabel("Size").selectOption("1024x1024");
    // The built-in painter is fast: enough steps that the render outlasts opening the stream.
    await page.getByLabel("Steps").fill("100");
    await page.getByLabel("Variations").fill("2");
    // What the person sees, frame by frame, in the order it came.
    await page.evaluate(() => {
      const w = window as unknown as { frames_: string[] };
      w.frames_ = [];
      document.addEventListener("aria-preview-frame", (e) => {
        const d = (e as CustomEvent<{ type: string; variation?: number; step?: number }>).detail;
        w.frames_.push(d.type === "preview" ? `${d.variation}:${d.step}` : d.type);
      });
    });
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/#\/[^/]+\/a-lighthouse-in-a-/, { timeout: 10_000 });
    const name = decodeURIComponent(new URL(page.url()).hash.split("/")[2] ?? "");
    const frames = () => page.evaluate(() => (window as unknown as { frames_: string[] }).frames_);
    await expect.poll(async () => (await frames()).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    await shot("create-preview");
    await expect.poll(() => page.locator("figure[data-candidate]").count(), { timeout: 120_000 }).toBe(2);
    const seen = await frames();
    const previews = seen
      .filter((f) => f !== "final")
      .map((f) => f.split(":").map(Number) as [number, number]);
    expect(previews.length).toBeGreaterThanOrEqual(2);
    // Each candidate's steps only move forward.
    for (const v of new Set(previews.map(([variation]) => variation))) {
      const steps = previews.filter(([variation]) => variation === v).map(([, step]) => step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    }
    expect(seen.at(-1)).toBe("final");
    const art = await getArtwork(ns, name);
    expect(isReady(art)).toBe(true);
    expect(await page.getByTestId("why").textContent()).toContain("Aria kept candidate");
    await shot("create-result");
  });
});

describe("the installed app", () => {
  it("passes Chromium's installability check: manifest, icons, service worker", async () => {
    await page.goto(`${origin}/#/${ns}`);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await browser.newCDPSession(page);
    const manifest = (await cdp.send("Page.getAppManifest")) as { errors: unknown[]; url: string };
    expect(manifest.errors).toEqual([]);
    expect(manifest.url).toBe(`${origin}/manifest.webmanifest`);
    await expect
      .poll(
        async () =>
          ((await cdp.send("Page.getInstallabilityErrors")) as { installabilityErrors: unknown[] })
            .installabilityErrors,
        {
          timeout: 15_000,
        },
      )
      .toEqual([]);
  });

  it("renders from its cache with the network cut, and delivers a reaction made offline exactly once", async () => {
    // A visit with the service worker in control fills its caches.
    await page.reload();
    await expect.poll(() => page.evaluate(() => Boolean(navigator.serviceWorker.controller))).toBe(true);
    await expect.poll(() => page.locator("a.card img").count(), { timeout: 20_000 }).toBe(3);
    await page.locator('a.card[data-artwork="carnival"]').click();
    await expect.poll(() => page.locator("figure[data-candidate]").count(), { timeout: 10_000 }).toBe(3);
    await page.goto(`${origin}/#/${ns}`);
    await expect.poll(() => page.locator("a.card img").count(), { timeout: 20_000 }).toBe(3);

    await browser.setOffline(true);
    await page.reload();
    await expect.poll(() => page.locator("a.card").count(), { timeout: 20_000 }).toBe(3);
    await expect
      .poll(() =>
        page
          .locator("a.card img")
          .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)),
      )
      .toBe(true);
    await shot("offline-grid");
    await page.locator('a.card[data-artwork="carnival"]').click();
    await expect.poll(() => page.locator("figure[data-candidate]").count(), { timeout: 10_000 }).toBe(3);
    const before = await events("love");
    await page.locator('button[data-action="love"]').click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("Offline");
    await new Promise((r) => setTimeout(r, 2000));
    expect(await events("love")).toBe(before);

    await browser.setOffline(false);
    await eventually(
      () => events("love"),
      (n) => n === before + 1,
      60_000,
      250,
    );
    await new Promise((r) => setTimeout(r, 5000));
    expect(await events("love")).toBe(before + 1);
  });
});

describe("who may use the gallery's API", () => {
  it("answers 401 without a token and 403 to a token without rights", async () => {
    const ca = servingTls().ca;
    expect((await httpsJson(operator, `/api/namespaces/${ns}/artworks`, { ca })).status).toBe(401);
    const alice = controlPlane().tokens.alice;
    expect((await httpsJson(operator, `/api/namespaces/${ns}/artworks`, { ca, token: alice })).status).toBe(
      403,
    );
  });
});

describe("the Learn dashboard", () => {
  it("charts what the reactions taught, with today's counts per action as the LearningState has them", async () => {
    // A fresh page on the grid: the dashboard's module (and its charting library) is not loaded yet.
    await page.goto(`${origin}/#/${ns}`);
    await page.reload();
    await expect.poll(() => page.locator("a.card").count(), { timeout: 20_000 }).toBe(3);
    const fetched = () =>
      page.evaluate(() =>
        performance.getEntriesByType("resource").some((e) => e.name.includes("/assets/learn-dashboard-")),
      );
    expect(await fetched()).toBe(false);
    await page.getByRole("link", { name: "Learn" }).click();
    expect(await page.getByRole("link", { name: "Learn" }).getAttribute("aria-current")).toBe("page");
    await expect.poll(fetched, { timeout: 10_000 }).toBe(true);

    // Mean reward, reactions, choices, parameters: each a uPlot canvas with something plotted.
    const plotted = () =>
      page
        .locator("learn-chart")
        .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.points ?? 0) > 0));
    await expect.poll(plotted, { timeout: 20_000 }).toEqual([true, true, true, true]);
    expect(await page.locator("learn-chart .uplot canvas").count()).toBe(4);

    const ls = await aria().get<LearningState>(LEARNING_STATE, ns, "studio");
    const history = ls.status?.history ?? [];
    const today = history.at(-1);
    // The day of the last reaction, which the earlier tests made minutes ago.
    expect(today?.day).toBe(ls.status?.lastFoldTime?.slice(0, 10));
    // The history counts every reaction once: its days add up to the LearningState's counts.
    const summed: Record<string, number> = {};
    for (const d of history)
      for (const [action, n] of Object.entries(d.events)) summed[action] = (summed[action] ?? 0) + n;
    expect(summed).toEqual(ls.status?.events);
    // What the dashboard says of that day, action by action, is what the LearningState counted.
    const row = page.locator(`[data-chart="reactions"] tr[data-day="${today?.day}"]`);
    await expect
      .poll(() => row.locator("td[data-action]").evaluateAll((tds) => tds.map((td) => td.textContent)), {
        timeout: 15_000,
      })
      .toEqual(FEEDBACK_ACTIONS.map((a) => String(today?.events[a] ?? 0)));
    expect(await page.locator(`[data-chart="means"] tr[data-day="${today?.day}"]`).count()).toBeGreaterThan(
      0,
    );
    // The choices of the day, as the Artworks' status recorded them.
    const arts = await listArtworks(ns);
    const choices = page.locator(`[data-chart="choices"] tr[data-day="${today?.day}"] td[data-choice]`);
    const chosenToday = (reason: string) =>
      arts.filter((a) => a.status?.modelReason === reason && a.status.startTime?.slice(0, 10) === today?.day)
        .length;
    expect(await choices.evaluateAll((tds) => tds.map((td) => td.textContent))).toEqual(
      ["explore", "exploit", "user"].map((r) => String(chosenToday(r))),
    );
    expect(await page.locator('[data-pool="studio"] [data-stat="warm"]').textContent()).toContain("1");
    expect(await page.locator('[data-chart="terms"] li').count()).toBeGreaterThan(0);
    // Every chart is named for whoever cannot see it.
    for (const label of await page
      .locator("learn-chart .plot")
      .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? "")))
      expect(label.length).toBeGreaterThan(20);
    await page.setViewportSize({ width: 1280, height: 1500 });
    await shot("dashboard");
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
