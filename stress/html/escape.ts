/** Escaping for the HTML report: every string that came from a report goes through one of these. */

/** Text and attribute values: the five characters that can change HTML structure. */
export function esc(text: string | number | boolean | null | undefined): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * JSON inside <script type="application/json">: "<" could close the script element and
 * U+2028/2029 are line breaks to old JavaScript parsers; all three become \u escapes,
 * which JSON.parse reads back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inlined library code or CSS must not be able to end its own element. */
export function assertInlinable(kind: 'script' | 'style', code: string): string {
  if (new RegExp(`</${kind}`, 'i').test(code)) throw new Error(`cannot inline ${kind}: it contains </${kind}`);
  return code;
}
