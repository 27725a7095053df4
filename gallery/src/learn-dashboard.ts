// The Learn view: what Aria has learned in the namespace (mean reward per model and mood over
// time, reactions per day, how often it explored, the steps and guidance people liked, the prompt
// terms that work) and its pools' state. Loaded only when opened: it brings the charting library.
// Every chart has a heading, a summary for screen readers and its numbers as a table.
import { LitElement, css, html, nothing } from "lit";
import { styleMap } from "lit/directives/style-map.js";
import type { LearningView } from "../../operator/http/learning-view.ts";
import { api, type Pool } from "./api.ts";
import "./learn-chart.ts";
import {
  ACTIONS,
  choicesPerDay,
  CHOICE_NAMES,
  CHOICES,
  dayRange,
  formatDay,
  MAX_LINES,
  meanRewards,
  preferredParameters,
  reactionsPerDay,
  todayUtc,
} from "./learn-series.ts";
import { shared } from "./styles.ts";

/** Figures move as people react and pools render; the view follows without a reload. */
const REFRESH_MS = 10_000;
const TOP_TERMS = 15;

const percent = (n: number, of: number) => (of > 0 ? `${Math.round((100 * n) / of)}%` : "0%");
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export class LearnDashboard extends LitElement {
  static override properties = {
    namespace: {},
    view: { state: true },
    pools: { state: true },
    error: { state: true },
    poolError: { state: true },
  };
  static override styles = [
    shared,
    css`
      h2 {
        margin: 0.2rem 0 0.4rem;
        font-size: 1.4rem;
      }
      .policy {
        margin: 0 0 1rem;
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr));
        gap: 1rem;
      }
      section {
        background: #1d1540;
        border-radius: 12px;
        padding: 0.9rem 1rem 1rem;
        min-width: 0;
      }
      h3 {
        margin: 0 0 0.6rem;
        font-size: 1.05rem;
      }
      h4 {
        margin: 0 0 0.4rem;
        font-size: 1rem;
      }
      .stat {
        margin: 0 0 0.6rem;
      }
      .visually-hidden {
        position: absolute;
        width: 1px;
        height: 1px;
        margin: -1px;
        padding: 0;
        overflow: hidden;
        clip: rect(0 0 0 0);
        white-space: nowrap;
        border: 0;
      }
      ol.terms {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.3rem;
      }
      ol.terms li {
        display: grid;
        grid-template-columns: 1.6rem minmax(5rem, 9rem) 1fr 3.5rem;
        align-items: center;
        gap: 0.5rem;
        font-size: 0.95rem;
      }
      .rank,
      .score {
        font-variant-numeric: tabular-nums;
        color: #c9bfe6;
      }
      .score {
        text-align: right;
      }
      .track {
        height: 0.8rem;
        background: #2d2155;
        border-radius: 4px;
        overflow: hidden;
      }
      .fill {
        height: 100%;
        background: #f07bd8;
        border-radius: 4px;
      }
      .fill.negative {
        background: #ff6b5e;
      }
      .pools {
        display: grid;
        gap: 0.8rem;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(7.5rem, 1fr));
        gap: 0.5rem;
        margin: 0;
      }
      dl div {
        background: #2d2155;
        border-radius: 8px;
        padding: 0.5rem 0.7rem;
      }
      dt {
        font-size: 0.85rem;
        color: #c9bfe6;
      }
      dd {
        margin: 0.15rem 0 0;
        font-size: 1.5rem;
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  declare namespace: string;
  declare view: LearningView | undefined;
  declare pools: Pool[] | undefined;
  declare error: string | undefined;
  declare poolError: string | undefined;
  private timer?: ReturnType<typeof setInterval>;

  override connectedCallback() {
    super.connectedCallback();
    this.timer = setInterval(() => {
      if (!document.hidden) void this.load();
    }, REFRESH_MS);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has("namespace")) {
      this.view = undefined;
      this.pools = undefined;
      void this.load();
    }
  }

  private async load() {
    const ns = encodeURIComponent(this.namespace);
    const [learning, pools] = await Promise.allSettled([
      api<LearningView>(`/namespaces/${ns}/learning`),
      api<{ items: Pool[] }>(`/namespaces/${ns}/pools`),
    ]);
    if (learning.status === "fulfilled") [this.view, this.error] = [learning.value, undefined];
    else this.error = (learning.reason as Error).message;
    if (pools.status === "fulfilled") [this.pools, this.poolError] = [pools.value.items, undefined];
    else this.poolError = (pools.reason as Error).message;
  }

  override render() {
    const { view } = this;
    // Everything appears at once, when both answers are in: nothing on screen moves as the other lands.
    const settled = (view || this.error) && (this.pools || this.poolError);
    if (!settled)
      return html`<h2>What Aria has learned in ${this.namespace}</h2>
        <p class="muted">Loading…</p>`;
    return html`
      <h2>What Aria has learned in ${this.namespace}</h2>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${view ? this.policy(view) : nothing}
      <div class="charts">${view ? this.learned(view) : nothing} ${this.poolState()}</div>
    `;
  }

  private policy(view: LearningView) {
    if (view.learningStates.length === 0)
      return html`<p class="policy muted">
        Aria has learned nothing here yet: react to an Artwork in the gallery, and what it teaches shows here.
      </p>`;
    return html`<p class="policy muted">
      ${view.learningStates.map((ls, i) => {
        const folded = Object.values(ls.events).reduce((a, b) => a + b, 0);
        const how =
          ls.policy.algorithm === "thompson"
            ? "Thompson sampling"
            : `epsilon-greedy, exploring ${percent(ls.policy.epsilon, 1)} of choices`;
        const last = ls.lastFoldTime
          ? html`, the last at
              <time datetime=${ls.lastFoldTime}>${new Date(ls.lastFoldTime).toLocaleString()}</time>`
          : nothing;
        return html`${i > 0 ? html`<br />` : nothing}<strong>${ls.name}</strong>: ${how};
        ${plural(folded, "reaction")} learned${last}.`;
      })}
    </p>`;
  }

  private learned(view: LearningView) {
    const days = dayRange(view, todayUtc());
    return html`${this.means(view, days)} ${this.reactions(view, days)} ${this.choices(view, days)}
    ${this.parameters(view)} ${this.terms(view)}`;
  }

  private means(view: LearningView, days: string[]) {
    const { lines, drawn, spec } = meanRewards(view, days);
    const latest = lines.map((l) => {
      const i = l.folds.at(-1)!;
      return `${l.label} ${l.means[i]!.toFixed(2)} on ${formatDay(days[i]!)}`;
    });
    return html`<section aria-labelledby="means-heading" data-chart="means">
      <h3 id="means-heading">Mean reward per model and mood</h3>
      ${
        lines.length === 0
          ? html`<p class="muted">No reactions learned yet.</p>`
          : html`<learn-chart
                .spec=${spec}
                label=${`Mean reward per model and mood by day. Latest: ${latest.join("; ")}.`}
              ></learn-chart>
              ${lines.length > drawn ? html`<p class="muted">The ${MAX_LINES} most tried of ${lines.length} shown; all are in the table.</p>` : nothing}
              <div class="visually-hidden">
                <table>
                  <caption>
                    Mean reward per model and mood, on each day (UTC) its reactions were learned
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Model and mood</th>
                      <th scope="col">Day</th>
                      <th scope="col">Mean reward</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${lines.flatMap((l) =>
                      l.folds.map(
                        (i) =>
                          html`<tr data-day=${days[i]!}>
                            <th scope="row">${l.label}</th>
                            <td>${days[i]}</td>
                            <td>${l.means[i]?.toFixed(3)}</td>
                          </tr>`,
                      ),
                    )}
                  </tbody>
                </table>
              </div>`
      }
    </section>`;
  }

  private reactions(view: LearningView, days: string[]) {
    const { counts, spec } = reactionsPerDay(view, days);
    const total = (i: number) => ACTIONS.reduce((n, a) => n + counts[a][i]!, 0);
    const last = days.length - 1;
    const today = ACTIONS.filter((a) => counts[a][last]).map((a) => `${a} ${counts[a][last]}`);
    const all = days.reduce((n, _d, i) => n + total(i), 0);
    return html`<section aria-labelledby="reactions-heading" data-chart="reactions">
      <h3 id="reactions-heading">Reactions per day</h3>
      <learn-chart
        .spec=${spec}
        label=${`Reactions per day by action. Today: ${today.length ? today.join(", ") : "none"}; ${plural(all, "reaction")} in ${plural(days.length, "day")}.`}
      ></learn-chart>
      <div class="visually-hidden">
        <table>
          <caption>
            Reactions per day (UTC) and action
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              ${ACTIONS.map((a) => html`<th scope="col">${a}</th>`)}
              <th scope="col">total</th>
            </tr>
          </thead>
          <tbody>
            ${days.map(
              (day, i) =>
                html`<tr data-day=${day}>
                  <th scope="row">${day}</th>
                  ${ACTIONS.map((a) => html`<td data-action=${a}>${counts[a][i]}</td>`)}
                  <td>${total(i)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  private choices(view: LearningView, days: string[]) {
    const heading = html`<h3 id="choices-heading">Explore or exploit</h3>`;
    if (!view.choices)
      return html`<section aria-labelledby="choices-heading" data-chart="choices">
        ${heading}
        <p class="muted">You may not list this namespace's Artworks, whose choices these are.</p>
      </section>`;
    const { total } = view.choices;
    const all = CHOICES.reduce((n, r) => n + total[r], 0);
    const overall = CHOICES.map((r) => `${CHOICE_NAMES[r]} ${total[r]} (${percent(total[r], all)})`).join(
      ", ",
    );
    const { counts, totals, spec } = choicesPerDay(view, days);
    return html`<section aria-labelledby="choices-heading" data-chart="choices">
      ${heading}
      <p class="stat">Of ${plural(all, "model choice")}: ${overall}.</p>
      <learn-chart
        .spec=${spec}
        label=${`Share of model choices per day that explored, exploited or were the user's. Overall: ${overall}.`}
      ></learn-chart>
      <div class="visually-hidden">
        <table>
          <caption>
            Model choices per day (UTC)
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              ${CHOICES.map((r) => html`<th scope="col">${CHOICE_NAMES[r]}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${days.map((day, i) =>
              totals[i]
                ? html`<tr data-day=${day}>
                    <th scope="row">${day}</th>
                    ${CHOICES.map((r) => html`<td data-choice=${r}>${counts[r][i]}</td>`)}
                  </tr>`
                : nothing,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  private parameters(view: LearningView) {
    const { rows, spec, height } = preferredParameters(view);
    const said = rows.map(
      (r) => `${r.label}: ${r.steps.toFixed(0)} steps, guidance ${r.guidanceScale.toFixed(1)}`,
    );
    return html`<section aria-labelledby="parameters-heading" data-chart="parameters">
      <h3 id="parameters-heading">Preferred steps and guidance per mood</h3>
      ${
        rows.length === 0
          ? html`<p class="muted">No well-received Artworks yet.</p>`
          : html`<learn-chart
                .height=${height}
                .spec=${spec}
                label=${`Steps and guidance of well-received Artworks per mood. ${said.join("; ")}.`}
              ></learn-chart>
              <div class="visually-hidden">
                <table>
                  <caption>
                    Preferred steps and guidance per mood, weighted by reward
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Mood</th>
                      <th scope="col">Steps</th>
                      <th scope="col">Guidance</th>
                      <th scope="col">Reward weight</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(
                      (r) =>
                        html`<tr>
                          <th scope="row">${r.label}</th>
                          <td>${r.steps.toFixed(1)}</td>
                          <td>${r.guidanceScale.toFixed(2)}</td>
                          <td>${r.weight.toFixed(1)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
      }
    </section>`;
  }

  private terms(view: LearningView) {
    const byTerm = new Map<string, { term: string; score: number; count: number }>();
    for (const p of view.learningStates.flatMap((ls) => ls.promptPatterns)) {
      const t = byTerm.get(p.term) ?? { term: p.term, score: 0, count: 0 };
      t.score += p.score;
      t.count += p.count;
      byTerm.set(p.term, t);
    }
    const top = [...byTerm.values()]
      .sort((a, b) => b.score - a.score || a.term.localeCompare(b.term))
      .slice(0, TOP_TERMS);
    const widest = Math.max(...top.map((t) => Math.abs(t.score)), 1e-9);
    return html`<section aria-labelledby="terms-heading" data-chart="terms">
      <h3 id="terms-heading">Prompt terms that work</h3>
      ${
        top.length === 0
          ? html`<p class="muted">No prompt terms learned yet.</p>`
          : html`<ol class="terms">
              ${top.map(
                (t, i) =>
                  html`<li data-term=${t.term}>
                    <span class="rank" aria-hidden="true">${i + 1}</span>
                    <span>${t.term}</span>
                    <span class="track" aria-hidden="true"
                      ><span
                        class="fill ${t.score < 0 ? "negative" : ""}"
                        style=${styleMap({ width: `${(100 * Math.abs(t.score)) / widest}%`, display: "block" })}
                      ></span
                    ></span>
                    <span class="score"
                      ><span class="visually-hidden">reward </span>${t.score.toFixed(1)}<span
                        class="visually-hidden"
                      >
                        from ${plural(t.count, "reaction")}</span
                      ></span
                    >
                  </li>`,
              )}
            </ol>`
      }
    </section>`;
  }

  private poolState() {
    const pools = this.pools;
    return html`<section aria-labelledby="pools-heading" data-chart="pools">
      <h3 id="pools-heading">Pools</h3>
      ${this.poolError ? html`<p class="error">${this.poolError}</p>` : nothing}
      ${pools && pools.length === 0 ? html`<p class="muted">No ModelPool in this namespace.</p>` : nothing}
      <div class="pools">
        ${(pools ?? []).map(
          (p) =>
            html`<div data-pool=${p.name}>
              <h4>${p.name}</h4>
              <dl>
                <div>
                  <dt>warm workers</dt>
                  <dd data-stat="warm">${p.warm} <span class="muted">of ${p.replicas}</span></dd>
                </div>
                <div>
                  <dt>queue depth</dt>
                  <dd data-stat="queued">${p.queued}</dd>
                </div>
                <div>
                  <dt>rendering</dt>
                  <dd data-stat="running">${p.running}</dd>
                </div>
                <div>
                  <dt>renders / min</dt>
                  <dd data-stat="rendersPerMinute">${p.rendersPerMinute.toFixed(1)}</dd>
                </div>
              </dl>
            </div>`,
        )}
      </div>
    </section>`;
  }
}
customElements.define("learn-dashboard", LearnDashboard);
