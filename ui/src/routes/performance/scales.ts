// Scales, layout and number formats the Performance charts share.

/** "62 µs", "3.7 ms", "370 ms", "1.2 s". */
export function formatLatency(ms: number): string {
  if (ms < 1) return `${Math.max(1, Math.round(ms * 1000))} µs`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** "0.3 %", "12 %" (a share of one core; above 100 when several are busy). */
export function formatPercent(percent: number): string {
  return `${percent < 10 && !Number.isInteger(percent) ? percent.toFixed(1) : Math.round(percent)} %`;
}

/** The smallest of 1, 2, 2.5, 5 × 10ⁿ that is at least `value`. */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= value * (1 - 1e-9)) return m * power;
  return 10 * power;
}

/** `niceCeil` in binary units, so a memory axis reads "64 MiB" rather than "67.1 MB". */
export function niceCeilBytes(bytes: number): number {
  if (!(bytes > 0)) return 1024;
  const unit = 1024 ** Math.min(4, Math.floor(Math.log(bytes) / Math.log(1024)));
  return niceCeil(bytes / unit) * unit;
}

/** Whole decades around `[min, max]` (at least one decade wide; never below 1 µs). */
export function decades(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, 0.001)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, 0.001))));
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

/** Maps a value onto `[from, to]` on a log scale over `[lo, hi]` (clamped). */
export function logScale(lo: number, hi: number, from: number, to: number): (value: number) => number {
  const a = Math.log10(lo);
  const span = Math.log10(hi) - a || 1;
  return (value) => from + ((Math.log10(Math.min(hi, Math.max(lo, value))) - a) / span) * (to - from);
}

/**
 * Where the parts of one row of a horizontal bar chart go. Wide: label | bar | value on one line.
 * Narrow (a phone, a split window): label and value on a line, the bar under them.
 */
export interface RowLayout {
  rowHeight: number;
  /** An operation name cut to fit beside the row's value text. */
  fitLabel: (name: string, valueText: string) => string;
  barX0: number;
  barX1: number;
  barHeight: number;
  /** Top of row `i`. */
  top: (i: number) => number;
  /** Baseline-centre of row `i`'s label and value text. */
  textY: (i: number) => number;
  /** Top of row `i`'s bar. */
  barY: (i: number) => number;
  /** Right edge of the value text. */
  valueX: number;
}

const MONO_CHAR = 7.3;
const VALUE_CHAR = 6.5;

/** `valueWidth`: room for the value text on a wide row. */
export function rowLayout(width: number, valueWidth: number): RowLayout {
  if (width >= 600) {
    const labelW = Math.round(Math.min(250, Math.max(160, width * 0.26)));
    const rowHeight = 28;
    return {
      rowHeight,
      fitLabel: (name) => fitName(name, Math.floor((labelW - 16) / MONO_CHAR)),
      barX0: labelW,
      barX1: width - valueWidth - 12,
      barHeight: 12,
      top: (i) => i * rowHeight,
      textY: (i) => i * rowHeight + rowHeight / 2,
      barY: (i) => i * rowHeight + (rowHeight - 12) / 2,
      valueX: width - 8,
    };
  }
  const rowHeight = 42;
  return {
    rowHeight,
    fitLabel: (name, valueText) => fitName(name, Math.max(8, Math.floor((width - valueText.length * VALUE_CHAR - 28) / MONO_CHAR))),
    barX0: 8,
    barX1: width - 8,
    barHeight: 10,
    top: (i) => i * rowHeight,
    textY: (i) => i * rowHeight + 13,
    barY: (i) => i * rowHeight + 24,
    valueX: width - 8,
  };
}

/** An operation name cut to `chars`, keeping its end (the verb) when it must be cut. */
function fitName(name: string, chars: number): string {
  return name.length <= chars ? name : `…${name.slice(name.length - chars + 1)}`;
}
