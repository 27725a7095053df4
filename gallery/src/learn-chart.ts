// One uPlot chart, sized to its container and drawn for the dark theme. uPlot's stylesheet is taken
// into this element's shadow root (a document stylesheet would not reach it). The plot is an image
// to assistive technology, named by `label`; the section around it carries the data as a table.
import { LitElement, css, html, unsafeCSS } from "lit";
import uPlot from "uplot";
import uplotCss from "uplot/dist/uPlot.min.css?inline";

export interface ChartSpec {
  /** uPlot's options, less the size (taken from the container). */
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
}

/** Text and lines on the dark canvas, at a contrast the muted text has elsewhere. */
export const INK = "#c9bfe6";
const GRID = "rgba(201, 191, 230, 0.14)";
const FONT = "12px system-ui, sans-serif";

/** An axis drawn in the theme's colours. */
export function axis(extra: uPlot.Axis = {}): uPlot.Axis {
  return {
    stroke: INK,
    font: FONT,
    labelFont: FONT,
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1 },
    ...extra,
  };
}

export class LearnChart extends LitElement {
  static override properties = {
    spec: { attribute: false },
    label: {},
    height: { type: Number },
  };
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .u-legend {
        color: #eee8ff;
        font-size: 0.85rem;
      }
      .u-legend .u-marker {
        border-radius: 3px;
      }
    `,
  ];

  declare spec: ChartSpec | undefined;
  declare label: string;
  declare height: number;
  private plot?: uPlot;
  private drawn = "";
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.label = "";
    this.height = 240;
  }

  override connectedCallback() {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.drawn = "";
  }

  override render() {
    return html`<div class="plot" role="img" aria-label=${this.label}></div>`;
  }

  override updated() {
    const spec = this.spec;
    if (!spec) return;
    // A refresh with the same figures keeps the plot (and whatever the person hovers) as it is.
    const figures = JSON.stringify([spec.data, spec.options.series.map((s) => s.label), this.height]);
    if (figures === this.drawn && this.plot) return;
    this.drawn = figures;
    this.plot?.destroy();
    const target = this.renderRoot.querySelector<HTMLElement>(".plot")!;
    // Away from the cursor, the legend reads the last day's values rather than dashes.
    const last = spec.data[0].length - 1;
    const resting = (u: uPlot) => {
      if (u.legend.idx === null || u.legend.idx === undefined) u.setLegend({ idx: last }, false);
    };
    const hooks = { ...spec.options.hooks, setLegend: [...(spec.options.hooks?.setLegend ?? []), resting] };
    this.plot = new uPlot({ ...spec.options, hooks, ...this.size() }, spec.data, target);
    resting(this.plot);
    // What is plotted, for whoever checks from outside (the tests): the values that are not gaps.
    this.dataset.points = String(
      spec.data
        .slice(1)
        .reduce((n, ys) => n + [...ys].filter((y) => y !== null && y !== undefined).length, 0),
    );
  }

  private size() {
    return { width: Math.max(240, Math.floor(this.clientWidth)), height: this.height };
  }

  private fit() {
    if (this.plot && this.clientWidth > 0) this.plot.setSize(this.size());
  }
}
customElements.define("learn-chart", LearnChart);
