/** Markdown pieces shared by the run's summary (ci-output) and the compare comment. Pure. */

/** Markdown table cells: pipes and line breaks would break the table, HTML would render. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
