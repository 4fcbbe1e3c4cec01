import { STATUS_LABELS, STATUSES, type Status } from "../exposure/model/status.ts";
import { escapeHtml } from "../shared/html.ts";
import { formatCalendarDay, numberFormat } from "../shared/intl.ts";
import { type Language, LOCALES } from "./i18n.ts";
import { stackedCell } from "./layout.ts";

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
    desc: "Barres : tes rencontres satisfaisantes par semaine, face au plancher ({floor}) et à la cible ({target}). Ligne : ton exposition ({unit}, échelle de droite) face au plafond ({ceiling}). Le fond de chaque semaine indique son état.",
    week: "Semaine du",
    colon: " : ",
    satisfying: "Rencontres satisfaisantes",
    encounters: "Rencontres",
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
    desc: "Bars: your satisfying encounters per week, against the floor ({floor}) and the target ({target}). Line: your exposure ({unit}, right-hand scale) against the ceiling ({ceiling}). Each week's background shows its status.",
    week: "Week of",
    colon: ": ",
    satisfying: "Satisfying encounters",
    encounters: "Encounters",
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

/** The units as the axis and the table's header say them, short. */
const SHORT_UNIT = { rch: "RCH", microcovids: "microCOVIDs" } as const;

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

/**
 * The chart's coordinates (the SVG viewBox). The SVG scales to the width it is given, so its
 * text shrinks with it: on a 360 px phone the page leaves the chart PHONE_CHART_PX (the body's
 * side padding is 0.6rem), and every text of the chart is CHART_FONT_SIZE units, chosen so
 * that it is drawn at MIN_TEXT_PX or more there.
 */
export const CHART = { width: 400, height: 262, left: 28, right: 48, top: 44, bottom: 26 };
export const PHONE_CHART_PX = 340;
export const MIN_TEXT_PX = 11;
export const CHART_FONT_SIZE = Math.ceil(((MIN_TEXT_PX * CHART.width) / PHONE_CHART_PX) * 2) / 2;

/** The size in CSS pixels of `units` of the viewBox when the chart is drawn `px` wide. */
export const renderedPx = (units: number, px: number, viewBoxWidth = CHART.width) =>
  (units * px) / viewBoxWidth;

const PLOT_H = CHART.height - CHART.top - CHART.bottom;
const PLOT_W = CHART.width - CHART.left - CHART.right;
const FONT = CHART_FONT_SIZE;
/** The dates under the columns: every third week, ending on the latest, so they never touch. */
const DATE_EVERY = 3;

const round = (n: number) => Math.round(n * 10) / 10;
const number = (lang: Language, n: number) =>
  numberFormat(LOCALES[lang], { maximumFractionDigits: 1 }).format(round(n));
/** A tick's number: 1 000 and above in the short form (« 1,5 k », "1.5K"), to fit the margin. */
const tickNumber = (lang: Language, n: number) =>
  n < 1000
    ? number(lang, n)
    : numberFormat(LOCALES[lang], { notation: "compact", maximumFractionDigits: 1 }).format(n);
/** The Monday of a week, in the member's language: short under a column, long elsewhere. */
export const weekDate = (lang: Language, weekStart: string, form: "short" | "long") =>
  formatCalendarDay(
    LOCALES[lang],
    weekStart,
    form === "short"
      ? { day: "numeric", month: "short" }
      : { day: "numeric", month: "short", year: "numeric" },
  );

/** 1, 2, 2.5 or 5 times a power of ten: the smallest at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= rough * (1 - 1e-9)) ?? 10;
  return step * power;
}

/** The ticks 0, step, 2 step … up to `top`. */
const ticksUpTo = (top: number, step: number) =>
  Array.from({ length: Math.floor(top / step + 1e-9) + 1 }, (_, i) => round(i * step));

/**
 * The scale of each axis. Counts: whole numbers, the top above every week and the band.
 * Exposure: the top a tick of a round step, above every week and the ceiling by 15 % or more.
 */
export function chartScales(weeks: readonly ChartWeek[], band: ChartBand) {
  const countMax = Math.max(band.target, band.floor, ...weeks.map((w) => w.satisfyingEncounters));
  const countTop = Math.max(1, Math.ceil(countMax * 1.2));
  const countStep = Math.max(1, Math.ceil(niceStep(countTop / 4)));
  const exposureMax = Math.max(band.ceiling, ...weeks.map((w) => w.exposure));
  const exposureStep = niceStep(exposureMax > 0 ? (exposureMax * 1.15) / 4 : 0.25);
  const exposureTop =
    exposureMax > 0 ? Math.ceil((exposureMax * 1.15) / exposureStep) * exposureStep : 1;
  return {
    countTop,
    exposureTop,
    countTicks: ticksUpTo(countTop, countStep),
    exposureTicks: ticksUpTo(exposureTop, exposureStep),
    /** Units above the baseline. */
    countHeight: (n: number) => round((n / countTop) * PLOT_H),
    exposureHeight: (n: number) => round((n / exposureTop) * PLOT_H),
  };
}

function fill(text: string, band: ChartBand, lang: Language) {
  const w = WORDS[lang];
  return text
    .replace("{floor}", number(lang, band.floor))
    .replace("{target}", number(lang, band.target))
    .replace("{ceiling}", number(lang, band.ceiling))
    .replace("{unit}", w[band.unit]);
}

const EXPOSURE_COLOR = "#CC79A7";
const BAR_COLOR = "#0072B2";
const text = (x: number, y: number, content: string, attrs = "") =>
  `<text x="${round(x)}" y="${round(y)}" font-size="${FONT}"${attrs} fill="currentColor">${escapeHtml(content)}</text>`;

export function renderWeeklyChart(
  weeks: readonly ChartWeek[],
  band: ChartBand,
  lang: Language,
): string {
  const w = WORDS[lang];
  const scales = chartScales(weeks, band);
  const baseline = CHART.top + PLOT_H;
  const left = CHART.left;
  const right = CHART.left + PLOT_W;
  const slot = PLOT_W / Math.max(1, weeks.length);
  const barW = round(slot * 0.5);
  const x0 = (i: number) => round(left + i * slot);
  const countY = (n: number) => round(baseline - scales.countHeight(n));
  const exposureY = (n: number) => round(baseline - scales.exposureHeight(n));
  // The band's lines, labelled inside the plot: floor and target on the left, ceiling on the right.
  const hline = (value: number, cls: string, label: string, dash: string) => {
    const y = countY(value);
    return `<line class="${cls}" x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="currentColor" stroke-dasharray="${dash}"/>${text(left + 3, y - 3, `${label} ${number(lang, value)}`, ` class="${cls}-label"`)}`;
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

  const unit = SHORT_UNIT[band.unit];
  const columns = weeks
    .map((week, i) => {
      const x = x0(i);
      const center = x + slot / 2;
      const mark = lang === "en" ? MARKS_EN[week.status] : STATUS_STYLE[week.status].mark;
      const barH = scales.countHeight(week.satisfyingEncounters);
      const label = `${w.week} ${weekDate(lang, week.weekStart, "long")}${w.colon}${week.satisfyingEncounters} · ${number(lang, week.exposure)} ${unit} · ${statusLabel(week.status, lang)}`;
      const date =
        (weeks.length - 1 - i) % DATE_EVERY === 0
          ? text(
              center,
              baseline + FONT + 4,
              weekDate(lang, week.weekStart, "short"),
              ' class="date" text-anchor="middle"',
            )
          : "";
      return `<g class="week" data-status="${week.status}"><title>${escapeHtml(label)}</title><rect class="status" x="${x}" y="${CHART.top}" width="${round(slot)}" height="${PLOT_H}" fill="url(#sdp-${week.status})"/><rect class="bar" data-count="${week.satisfyingEncounters}" x="${round(x + (slot - barW) / 2)}" y="${round(baseline - barH)}" width="${barW}" height="${barH}" fill="${BAR_COLOR}"/>${text(center, CHART.top - 6, mark, ' text-anchor="middle"')}${date}</g>`;
    })
    .join("");

  // The two scales: encounters on the left, exposure (with its unit) on the right.
  const countAxis = scales.countTicks
    .map(
      (n) =>
        `<line x1="${left - 3}" x2="${left}" y1="${countY(n)}" y2="${countY(n)}" stroke="currentColor"/>${text(left - 5, countY(n) + FONT / 3, number(lang, n), ' text-anchor="end"')}`,
    )
    .join("");
  const exposureAxis = scales.exposureTicks
    .map(
      (n) =>
        `<line x1="${right}" x2="${right + 3}" y1="${exposureY(n)}" y2="${exposureY(n)}" stroke="${EXPOSURE_COLOR}"/>${text(right + 4, exposureY(n) + FONT / 3, tickNumber(lang, n), ' class="exposure-tick"')}`,
    )
    .join("");
  const points = weeks
    .map((week, i) => `${round(x0(i) + slot / 2)},${exposureY(week.exposure)}`)
    .join(" ");
  const ceilingY = exposureY(band.ceiling);
  const titleY = FONT + 2;

  return `<svg xmlns="http://www.w3.org/2000/svg" class="weekly-chart" role="img" aria-labelledby="sdp-chart-title sdp-chart-desc" viewBox="0 0 ${CHART.width} ${CHART.height}" width="100%">
<title id="sdp-chart-title">${escapeHtml(w.title)}</title>
<desc id="sdp-chart-desc">${escapeHtml(fill(w.desc, band, lang))}</desc>
<defs>${patterns}</defs>
${columns}
<line x1="${left}" x2="${right}" y1="${baseline}" y2="${baseline}" stroke="currentColor"/>
<g class="count-axis"><line x1="${left}" x2="${left}" y1="${CHART.top}" y2="${baseline}" stroke="currentColor"/>${countAxis}<rect x="2" y="${titleY - FONT * 0.75}" width="${round(FONT * 0.75)}" height="${round(FONT * 0.75)}" fill="${BAR_COLOR}"/>${text(4 + FONT, titleY, w.encounters)}</g>
<g class="exposure-axis"><line x1="${right}" x2="${right}" y1="${CHART.top}" y2="${baseline}" stroke="${EXPOSURE_COLOR}"/>${exposureAxis}${text(CHART.width - 2, titleY, `${w.exposure} (${unit})`, ' class="exposure-unit" text-anchor="end"')}</g>
${hline(band.floor, "floor", w.floor, "2 3")}
${hline(band.target, "target", w.target, "6 3")}
<line class="ceiling" x1="${left}" x2="${right}" y1="${ceilingY}" y2="${ceilingY}" stroke="${EXPOSURE_COLOR}" stroke-width="1.5" stroke-dasharray="10 4"/>${text(right - 3, ceilingY - 4, `${w.ceiling} ${number(lang, band.ceiling)} ${unit}`, ' class="ceiling-label" text-anchor="end"')}
<polyline class="exposure" points="${points}" fill="none" stroke="${EXPOSURE_COLOR}" stroke-width="2"/>
${weeks.map((week, i) => `<circle cx="${round(x0(i) + slot / 2)}" cy="${exposureY(week.exposure)}" r="3" fill="${EXPOSURE_COLOR}"/>`).join("")}
</svg>`;
}

/**
 * The same data as an HTML table, next to the SVG for screen readers and for print. On a
 * narrow screen (style.css, `.stacked`) each week becomes a block: its date, then its three
 * figures side by side, each with its header from `data-label`.
 */
export function renderWeeklyTable(
  weeks: readonly ChartWeek[],
  band: ChartBand,
  lang: Language,
): string {
  const w = WORDS[lang];
  const exposureHeader = `${w.exposure} (${SHORT_UNIT[band.unit]})`;
  const cell = (label: string, value: string) => stackedCell(label, escapeHtml(value));
  const rows = weeks
    .map(
      (week) =>
        `<tr><th scope="row"><time datetime="${escapeHtml(week.weekStart)}">${escapeHtml(weekDate(lang, week.weekStart, "long"))}</time></th>${cell(w.satisfying, String(week.satisfyingEncounters))}${cell(exposureHeader, number(lang, week.exposure))}${cell(w.status, statusLabel(week.status, lang))}</tr>`,
    )
    .join("");
  return `<table class="weekly-table stacked">
<caption>${escapeHtml(`${w.caption} — ${w.floor} ${number(lang, band.floor)}, ${w.target} ${number(lang, band.target)}, ${w.ceiling} ${number(lang, band.ceiling)} ${w[band.unit]}`)}</caption>
<thead><tr><th scope="col">${escapeHtml(w.week)}</th><th scope="col">${escapeHtml(w.satisfying)}</th><th scope="col">${escapeHtml(exposureHeader)}</th><th scope="col">${escapeHtml(w.status)}</th></tr></thead>
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
