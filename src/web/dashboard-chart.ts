import { STATUS_LABELS, STATUSES, type Status } from "../exposure/model/status.ts";
import { escapeHtml } from "../shared/html.ts";
import type { Language } from "./i18n.ts";

/*
 * The 12-week chart of the dashboard, rendered on the server as SVG: no script, so it
 * works everywhere and the page stays private (no third-party chart library). Pure: the
 * same weeks give the same bytes, which the snapshot test relies on.
 */

// The statuses are the model's (src/exposure/model/status.ts), and so are their words.
export const CHART_STATUSES = STATUSES;
export type ChartStatus = Status;

export interface ChartWeek {
  /** The Monday that starts the week, YYYY-MM-DD in the member's time zone. */
  weekStart: string;
  satisfyingEncounters: number;
  /** RCH, or microCOVIDs in pandemic mode. */
  exposure: number;
  status: ChartStatus;
}

export interface ChartBand {
  floor: number;
  target: number;
  /** In the unit of `exposure`. */
  ceiling: number;
  unit: "rch" | "microcovids";
}

const WORDS = {
  fr: {
    title: "Tes 12 dernières semaines",
    desc: "Barres : rencontres satisfaisantes par semaine, face au plancher ({floor}) et à la cible ({target}). Ligne : exposition ({unit}) face au plafond ({ceiling}). Le fond de chaque semaine indique son état.",
    week: "Semaine du",
    satisfying: "Rencontres satisfaisantes",
    exposure: "Exposition",
    status: "État",
    floor: "plancher",
    target: "cible",
    ceiling: "plafond",
    rch: "heures-contact de référence",
    microcovids: "microCOVIDs",
    caption: "Données du graphique",
  },
  en: {
    title: "Your last 12 weeks",
    desc: "Bars: satisfying encounters per week, against the floor ({floor}) and the target ({target}). Line: exposure ({unit}) against the ceiling ({ceiling}). Each week's background shows its status.",
    week: "Week of",
    satisfying: "Satisfying encounters",
    exposure: "Exposure",
    status: "Status",
    floor: "floor",
    target: "target",
    ceiling: "ceiling",
    rch: "reference contact-hours",
    microcovids: "microCOVIDs",
    caption: "Chart data",
  },
} as const;

export function statusLabel(status: ChartStatus, lang: Language): string {
  return STATUS_LABELS[status][lang];
}

// Each status has a tint, a pattern and a one-letter mark, so it reads without colour too
// (Okabe–Ito hues, distinguishable by the common colour-vision deficiencies).
const STATUS_STYLE: Record<ChartStatus, { fill: string; mark: string }> = {
  isole: { fill: "#56B4E9", mark: "I" },
  equilibre: { fill: "#009E73", mark: "É" },
  surexpose: { fill: "#D55E00", mark: "S" },
  expose_mais_isole: { fill: "#E69F00", mark: "X" },
};
const MARKS_EN: Record<ChartStatus, string> = {
  isole: "I",
  equilibre: "B",
  surexpose: "O",
  expose_mais_isole: "X",
};

export const CHART = { width: 640, height: 300, left: 40, right: 48, top: 24, bottom: 44 };
const PLOT_H = CHART.height - CHART.top - CHART.bottom;
const PLOT_W = CHART.width - CHART.left - CHART.right;

const round = (n: number) => Math.round(n * 10) / 10;
const fmt = (n: number) => String(round(n));

/** The scale of each axis: the top is above every value and every line of the band. */
export function chartScales(weeks: readonly ChartWeek[], band: ChartBand) {
  const countMax = Math.max(band.target, band.floor, ...weeks.map((w) => w.satisfyingEncounters));
  const exposureMax = Math.max(band.ceiling, ...weeks.map((w) => w.exposure));
  const countTop = Math.max(1, Math.ceil(countMax * 1.2));
  const exposureTop = exposureMax > 0 ? exposureMax * 1.2 : 1;
  return {
    countTop,
    exposureTop,
    /** Pixels from the baseline. */
    countHeight: (n: number) => round((n / countTop) * PLOT_H),
    exposureHeight: (n: number) => round((n / exposureTop) * PLOT_H),
  };
}

function fill(text: string, band: ChartBand, lang: Language) {
  const w = WORDS[lang];
  return text
    .replace("{floor}", fmt(band.floor))
    .replace("{target}", fmt(band.target))
    .replace("{ceiling}", fmt(band.ceiling))
    .replace("{unit}", w[band.unit]);
}

export function renderWeeklyChart(
  weeks: readonly ChartWeek[],
  band: ChartBand,
  lang: Language,
): string {
  const w = WORDS[lang];
  const scales = chartScales(weeks, band);
  const baseline = CHART.top + PLOT_H;
  const slot = PLOT_W / Math.max(1, weeks.length);
  const barW = round(slot * 0.5);
  const x0 = (i: number) => round(CHART.left + i * slot);
  const hline = (value: number, cls: string, label: string, dash: string) => {
    const y = round(baseline - scales.countHeight(value));
    return `<line class="${cls}" x1="${CHART.left}" x2="${CHART.left + PLOT_W}" y1="${y}" y2="${y}" stroke="currentColor" stroke-dasharray="${dash}"/><text x="${CHART.left + 2}" y="${round(y - 3)}" font-size="10" fill="currentColor">${escapeHtml(label)} ${fmt(value)}</text>`;
  };

  const patterns = CHART_STATUSES.map((status, i) => {
    const { fill: color } = STATUS_STYLE[status];
    // Four visibly different textures: plain, dots, diagonal and cross-hatching.
    const texture = [
      "",
      `<circle cx="3" cy="3" r="1" fill="${color}" fill-opacity="0.8"/>`,
      `<path d="M0 6L6 0" stroke="${color}" stroke-width="1.2"/>`,
      `<path d="M0 6L6 0M0 0L6 6" stroke="${color}" stroke-width="1"/>`,
    ][i];
    return `<pattern id="sdp-${status}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${color}" fill-opacity="0.18"/>${texture}</pattern>`;
  }).join("");

  const columns = weeks
    .map((week, i) => {
      const x = x0(i);
      const mark = lang === "en" ? MARKS_EN[week.status] : STATUS_STYLE[week.status].mark;
      const barH = scales.countHeight(week.satisfyingEncounters);
      const label = `${w.week} ${week.weekStart}: ${week.satisfyingEncounters} · ${fmt(week.exposure)} · ${statusLabel(week.status, lang)}`;
      return `<g class="week" data-status="${week.status}"><title>${escapeHtml(label)}</title><rect class="status" x="${x}" y="${CHART.top}" width="${round(slot)}" height="${PLOT_H}" fill="url(#sdp-${week.status})"/><rect class="bar" data-count="${week.satisfyingEncounters}" x="${round(x + (slot - barW) / 2)}" y="${round(baseline - barH)}" width="${barW}" height="${barH}" fill="#0072B2"/><text x="${round(x + slot / 2)}" y="${CHART.top - 6}" font-size="11" text-anchor="middle" fill="currentColor">${escapeHtml(mark)}</text><text x="${round(x + slot / 2)}" y="${baseline + 14}" font-size="9" text-anchor="middle" fill="currentColor">${escapeHtml(week.weekStart.slice(5))}</text></g>`;
    })
    .join("");

  const points = weeks
    .map(
      (week, i) =>
        `${round(x0(i) + slot / 2)},${round(baseline - scales.exposureHeight(week.exposure))}`,
    )
    .join(" ");
  const ceilingY = round(baseline - scales.exposureHeight(band.ceiling));
  const right = CHART.left + PLOT_W;

  return `<svg xmlns="http://www.w3.org/2000/svg" class="weekly-chart" role="img" aria-labelledby="sdp-chart-title sdp-chart-desc" viewBox="0 0 ${CHART.width} ${CHART.height}" width="100%">
<title id="sdp-chart-title">${escapeHtml(w.title)}</title>
<desc id="sdp-chart-desc">${escapeHtml(fill(w.desc, band, lang))}</desc>
<defs>${patterns}</defs>
${columns}
<line x1="${CHART.left}" x2="${right}" y1="${baseline}" y2="${baseline}" stroke="currentColor"/>
${hline(band.floor, "floor", w.floor, "2 3")}
${hline(band.target, "target", w.target, "6 3")}
<line class="ceiling" x1="${CHART.left}" x2="${right}" y1="${ceilingY}" y2="${ceilingY}" stroke="#CC79A7" stroke-width="1.5" stroke-dasharray="10 4"/><text x="${right + 2}" y="${round(ceilingY + 3)}" font-size="10" fill="#CC79A7">${escapeHtml(w.ceiling)} ${fmt(band.ceiling)}</text>
<polyline class="exposure" points="${points}" fill="none" stroke="#CC79A7" stroke-width="2"/>
${weeks.map((week, i) => `<circle cx="${round(x0(i) + slot / 2)}" cy="${round(baseline - scales.exposureHeight(week.exposure))}" r="3" fill="#CC79A7"/>`).join("")}
<text x="4" y="${CHART.height - 6}" font-size="10" fill="#0072B2">${escapeHtml(w.satisfying)}</text>
<text x="${CHART.width - 4}" y="${CHART.height - 6}" font-size="10" text-anchor="end" fill="#CC79A7">${escapeHtml(`${w.exposure} (${w[band.unit]})`)}</text>
</svg>`;
}

/** The same data as an HTML table, placed next to the SVG for screen readers and for print. */
export function renderWeeklyTable(
  weeks: readonly ChartWeek[],
  band: ChartBand,
  lang: Language,
): string {
  const w = WORDS[lang];
  const rows = weeks
    .map(
      (week) =>
        `<tr><th scope="row">${escapeHtml(week.weekStart)}</th><td>${week.satisfyingEncounters}</td><td>${fmt(week.exposure)}</td><td>${escapeHtml(statusLabel(week.status, lang))}</td></tr>`,
    )
    .join("");
  return `<table class="weekly-table">
<caption>${escapeHtml(`${w.caption} — ${w.floor} ${fmt(band.floor)}, ${w.target} ${fmt(band.target)}, ${w.ceiling} ${fmt(band.ceiling)} ${w[band.unit]}`)}</caption>
<thead><tr><th scope="col">${escapeHtml(w.week)}</th><th scope="col">${escapeHtml(w.satisfying)}</th><th scope="col">${escapeHtml(`${w.exposure} (${w[band.unit]})`)}</th><th scope="col">${escapeHtml(w.status)}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

/** A legend in text: each status's mark and words, so the tints never carry meaning alone. */
export function renderLegend(lang: Language): string {
  const items = CHART_STATUSES.map(
    (status) =>
      `<li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="url(#sdp-${status})" stroke="${STATUS_STYLE[status].fill}"/></svg> ${escapeHtml(lang === "en" ? MARKS_EN[status] : STATUS_STYLE[status].mark)} = ${escapeHtml(statusLabel(status, lang))}</li>`,
  ).join("");
  return `<ul class="chart-legend">${items}</ul>`;
}
