/** Plain-text table helpers for benchmark output: readable in a terminal and pasteable into Markdown. */

export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
export const ms = (value: number): string => value.toFixed(1);
export const ratio = (value: number): string => `${value.toFixed(2)}×`;

/** A Markdown table with aligned columns; `right` marks numeric columns. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => (right[i] ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * One progress line on stderr: rewritten in place on a terminal; in a log (not a
 * TTY) only lines marked as steps are written, so CI output stays short.
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;

  update(text: string, step = false): void {
    if (this.tty) process.stderr.write(`\r\x1b[K${text}`);
    else if (step) process.stderr.write(`${text}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}
