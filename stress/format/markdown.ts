/** Markdown pieces shared by the run's summary (ci-output) and the compare comment. Pure. */

/** Markdown table cells: pipes and line breaks would break the table, HTML would render. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text as inline code, safe in a table cell: inside backticks nothing renders as HTML, so `<`
 * stays as it is (escaped it would show as "&lt;"); only the pipe (GFM tables split on it even in
 * code) and backticks (they would end the span) are replaced.
 */
export function mdCode(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')}\``;
}
