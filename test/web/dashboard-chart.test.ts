import { describe, expect, it } from "vitest";
import {
  CHART_FONT_SIZE,
  type ChartBand,
  type ChartWeek,
  chartScales,
  MIN_TEXT_PX,
  niceStep,
  PHONE_CHART_PX,
  renderedPx,
  renderWeeklyChart,
  renderWeeklyTable,
} from "../../src/web/dashboard-chart.ts";

const STATUSES = ["isole", "equilibre", "surexpose", "expose_mais_isole"] as const;

const weeks: ChartWeek[] = Array.from({ length: 12 }, (_, i) => ({
  weekStart: `2026-${String(9 + Math.floor(i / 4)).padStart(2, "0")}-${String(1 + (i % 4) * 7).padStart(2, "0")}`,
  satisfyingEncounters: i % 5,
  exposure: (i * 7) % 16,
  status: STATUSES[i % 4] as ChartWeek["status"],
}));
const band: ChartBand = { floor: 1, target: 3, ceiling: 10, unit: "rch" };

describe("renderWeeklyChart", () => {
  it("is the same SVG for the same series", async () => {
    await expect(renderWeeklyChart(weeks, band, "fr")).toMatchFileSnapshot(
      "../__snapshots__/dashboard-chart.fr.svg",
    );
  });

  it("draws each bar in proportion to its week's satisfying encounters", () => {
    const svg = renderWeeklyChart(weeks, band, "en");
    const bars = [...svg.matchAll(/class="bar" data-count="(\d+)"[^>]*height="([\d.]+)"/g)];
    expect(bars).toHaveLength(12);
    // Top of the count axis: max(4, target 3) × 1.2 rounded up = 5; plot height 192 units.
    expect(chartScales(weeks, band).countTop).toBe(5);
    for (const [, count, height] of bars) {
      expect(Number(height)).toBeCloseTo((Number(count) / 5) * 192, 0);
    }
    const zero = bars.find(([, count]) => count === "0");
    expect(zero?.[2]).toBe("0");
  });

  it("has role img, a title, a description, and a status mark on every week", () => {
    const svg = renderWeeklyChart(weeks, band, "en");
    expect(svg).toContain('role="img"');
    expect(svg).toMatch(/<title id="sdp-chart-title">Your last 12 weeks<\/title>/);
    expect(svg).toMatch(/<desc id="sdp-chart-desc">Bars: .*floor \(1\).*ceiling \(10\)/);
    expect(svg.match(/<g class="week"/g)).toHaveLength(12);
    for (const status of STATUSES) expect(svg).toContain(`url(#sdp-${status})`);
    // The ceiling on the exposure axis: the highest week is 15, × 1.15 = 17.25, in steps of
    // 5 (the nice step above 17.25 / 4): the top is 20, and 10 is half-way up, 96 above 236.
    expect(chartScales(weeks, band).exposureTop).toBe(20);
    expect(svg).toMatch(/class="ceiling"[^>]*y1="140"/);
  });

  it("escapes what it prints", () => {
    const svg = renderWeeklyChart(
      [{ weekStart: "<script>", satisfyingEncounters: 1, exposure: 1, status: "equilibre" }],
      band,
      "fr",
    );
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
  });

  it("says it in a table too, in French and English", () => {
    const fr = renderWeeklyTable(weeks, band, "fr");
    expect(fr.match(/<tr><th scope="row">/g)).toHaveLength(12);
    expect(fr).toContain("exposé·e mais isolé·e");
    expect(fr).toContain("<caption>");
    const en = renderWeeklyTable(weeks, { ...band, unit: "microcovids" }, "en");
    expect(en).toContain("over-exposed");
    expect(en).toContain("microCOVIDs");
  });
});

/**
 * Each text of an SVG with its box: 0.6 em a letter or digit, 0.35 em a space or punctuation
 * (wider than system-ui's own).
 */
function textBoxes(svg: string) {
  return [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map(([, attrs = "", content = ""]) => {
    const num = (name: string) => Number(new RegExp(`${name}="([\\d.-]+)"`).exec(attrs)?.[1]);
    const size = num("font-size");
    const text = content.replace(/&[a-z#0-9]+;/g, "x");
    const narrow = text.replace(/[\p{L}\p{N}]/gu, "").length;
    const width = ((text.length - narrow) * 0.6 + narrow * 0.35) * size;
    const anchor = /text-anchor="(\w+)"/.exec(attrs)?.[1] ?? "start";
    const x = num("x");
    const left = anchor === "end" ? x - width : anchor === "middle" ? x - width / 2 : x;
    return {
      attrs,
      content,
      size,
      left,
      right: left + width,
      top: num("y") - size,
      bottom: num("y"),
    };
  });
}

const viewBoxOf = (svg: string) => {
  const [, , width = 0, height = 0] = (/viewBox="([^"]+)"/.exec(svg)?.[1] ?? "")
    .split(" ")
    .map(Number);
  return { width, height };
};

describe("the chart on a 360 px phone", () => {
  const cases: Array<[string, ChartWeek[], ChartBand, "fr" | "en"]> = [
    ["RCH, French", weeks, band, "fr"],
    [
      "microCOVIDs, English",
      weeks.map((w) => ({ ...w, exposure: w.exposure * 37 })),
      { ...band, ceiling: 200, unit: "microcovids" },
      "en",
    ],
    ["microCOVIDs, French", weeks, { ...band, ceiling: 200, unit: "microcovids" }, "fr"],
    [
      "the ceiling above every week",
      weeks.map((w) => ({ ...w, exposure: 0 })),
      { ...band, ceiling: 1000 },
      "fr",
    ],
    [
      "ticks of 2.5 k",
      weeks.map((w) => ({ ...w, exposure: w.exposure * 700 })),
      { ...band, ceiling: 200, unit: "microcovids" },
      "fr",
    ],
    [
      "a huge exposure",
      weeks.map((w) => ({ ...w, exposure: w.exposure * 9000 })),
      { ...band, ceiling: 200, unit: "microcovids" },
      "fr",
    ],
    [
      "an empty year",
      weeks.map((w) => ({ ...w, exposure: 0, satisfyingEncounters: 0 })),
      band,
      "en",
    ],
  ];

  it("sizes its text from the viewBox so that it is drawn at 11 px or more", () => {
    // 13 units of a 400-unit viewBox drawn 340 px wide (a 360 px screen less the page's padding).
    expect(CHART_FONT_SIZE).toBe(13);
    expect(renderedPx(CHART_FONT_SIZE, PHONE_CHART_PX)).toBeGreaterThanOrEqual(MIN_TEXT_PX);
    for (const [, data, b, lang] of cases) {
      const svg = renderWeeklyChart(data, b, lang);
      const { width } = viewBoxOf(svg);
      const sizes = [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(sizes.length).toBeGreaterThan(20);
      for (const size of sizes) {
        expect((size * PHONE_CHART_PX) / width).toBeGreaterThanOrEqual(MIN_TEXT_PX);
      }
    }
  });

  it("keeps every text, the ceiling's label among them, inside the viewBox", () => {
    for (const [what, data, b, lang] of cases) {
      const svg = renderWeeklyChart(data, b, lang);
      const { width, height } = viewBoxOf(svg);
      const boxes = textBoxes(svg);
      const ceiling = boxes.find((box) => box.attrs.includes('class="ceiling-label"'));
      expect(ceiling, what).toBeDefined();
      for (const box of boxes) {
        expect(box.left, `${what}: ${box.content}`).toBeGreaterThanOrEqual(0);
        expect(box.right, `${what}: ${box.content}`).toBeLessThanOrEqual(width);
        expect(box.top, `${what}: ${box.content}`).toBeGreaterThanOrEqual(0);
        expect(box.bottom, `${what}: ${box.content}`).toBeLessThanOrEqual(height);
      }
    }
  });

  it("has a scale for the exposure line: ticks in steps, and the unit", () => {
    const svg = renderWeeklyChart(weeks, band, "fr");
    const ticks = textBoxes(svg)
      .filter((box) => box.attrs.includes('class="exposure-tick"'))
      .map((box) => Number(box.content.replace(",", ".")));
    expect(ticks).toEqual([0, 5, 10, 15, 20]);
    expect(svg).toContain(">Exposition (RCH)</text>");
    const en = renderWeeklyChart(weeks, { ...band, ceiling: 2.5 }, "en");
    expect(en).toContain(">Exposure (RCH)</text>");
    // Decimals in the member's language.
    const fr = renderWeeklyChart(
      weeks.map((w) => ({ ...w, exposure: w.exposure / 10 })),
      { ...band, ceiling: 1 },
      "fr",
    );
    expect(fr).toMatch(/class="exposure-tick"[^>]*>0,5</);
  });

  it("writes the dates in the member's language, every third week ending on the last", () => {
    const fr = renderWeeklyChart(weeks, band, "fr");
    const dates = textBoxes(fr).filter((box) => box.attrs.includes('class="date"'));
    expect(dates.map((d) => d.content)).toEqual(["15 sept.", "8 oct.", "1 nov.", "22 nov."]);
    const en = textBoxes(renderWeeklyChart(weeks, band, "en")).filter((box) =>
      box.attrs.includes('class="date"'),
    );
    expect(en.map((d) => d.content)).toEqual(["15 Sept", "8 Oct", "1 Nov", "22 Nov"]);
    expect(renderWeeklyTable(weeks, band, "fr")).toContain(
      '<time datetime="2026-11-22">22 nov. 2026</time>',
    );
  });

  it("has a table of four columns at most, stacked on a narrow screen, each cell labelled", () => {
    const table = renderWeeklyTable(weeks, band, "fr");
    expect(table).toContain('class="weekly-table stacked"');
    expect(table.match(/<th scope="col">/g)).toHaveLength(4);
    const cells = table.match(/<td[^>]*>/g) ?? [];
    expect(cells).toHaveLength(36);
    for (const cell of cells) expect(cell).toMatch(/data-label="[^"]+"/);
  });

  it("rounds steps to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect([0.3, 1, 1.1, 2.2, 4, 7, 30, 260].map(niceStep)).toEqual([
      0.5, 1, 2, 2.5, 5, 10, 50, 500,
    ]);
  });
});
