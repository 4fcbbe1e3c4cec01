import { describe, expect, it } from "vitest";
import {
  type ChartBand,
  type ChartWeek,
  chartScales,
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
    // Top of the count axis: max(4, target 3) × 1.2 rounded up = 5; plot height 232 px.
    expect(chartScales(weeks, band).countTop).toBe(5);
    for (const [, count, height] of bars) {
      expect(Number(height)).toBeCloseTo((Number(count) / 5) * 232, 0);
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
    // The ceiling on the exposure axis: 10 of a top of 15 × 1.2 = 18 → 128.9 px above 256.
    expect(svg).toMatch(/class="ceiling"[^>]*y1="127\.1"/);
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
