/**
 * The chart library (uPlot, MIT) read from the installed npm package, to be inlined
 * into each report: the HTML must open from disk with no network.
 */
import { readFileSync } from 'node:fs';
import { assertInlinable } from './escape';

let cached: { js: string; css: string } | null = null;

export function uplotAssets(): { js: string; css: string } {
  if (cached === null) {
    const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    cached = { js: assertInlinable('script', js), css: assertInlinable('style', css) };
  }
  return cached;
}
