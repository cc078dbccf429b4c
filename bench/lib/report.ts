/** Small formatting helpers shared by the scenarios' reports and progress lines. */

export const markdownTable = (headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string => {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
};

export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');
export const formatMs = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : 'n/a');
export const formatMiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Progress goes to stderr, one line at a time, so stdout carries only the results. */
export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
