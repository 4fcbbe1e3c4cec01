/** How the benchmark reports write their figures and tables (bench/report*.ts). */

/** A figure, or "–" when there is none (a run with no answer at all gives 0 ÷ 0). */
export const n = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : value.toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });

/** A change in percent, with its sign: "+1.9 %", "−0.4 %". */
export const signed = (value: number) => `${value >= 0 ? "+" : "−"}${n(Math.abs(value), 1)} %`;

export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}
