/**
 * The browser side of the HTML report: draws the charts with the inlined uPlot from
 * the JSON data block. Plain ES2015 so any current browser runs it from disk.
 */
export const CHART_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var charts = [];
  var HEIGHT = 240;
  var SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
  function widthOf(el) { return Math.max(260, Math.floor(el.getBoundingClientRect().width)); }
  function make(id, opts, columns) {
    var el = document.getElementById(id);
    if (!el) return;
    if (!columns[0] || columns[0].length === 0) {
      el.textContent = 'no data';
      el.className += ' empty';
      return;
    }
    opts.width = widthOf(el);
    opts.height = HEIGHT;
    // Room on the right for the last x label (99.9999 % at the spectrum's end).
    opts.padding = [12, 44, 0, 0];
    opts.legend = { live: true };
    // What each y scale starts at once drawn, for a reader's tools (and the tests): counts start at 0.
    opts.hooks = { draw: [function (u) {
      el.setAttribute('data-y-min', JSON.stringify(Object.keys(u.scales).filter(function (k) { return k !== 'x'; }).map(function (k) { return u.scales[k].min; })));
    }] };
    charts.push({ plot: new uPlot(opts, columns, el), el: el });
  }
  function pctLabel(v) {
    var p = 100 * (1 - 1 / v);
    var decimals = Math.max(0, Math.round(Math.log10(v)) - 2);
    return (p <= 0 ? '0' : p.toFixed(decimals)) + '%';
  }
  function ms(u, v) { return v == null ? '-' : (v < 1 ? v.toPrecision(3) : v.toFixed(v < 100 ? 2 : 0)) + ' ms'; }
  function num(u, v) { return v == null ? '-' : Math.round(v).toLocaleString('en-US'); }
  // A count's axis starts at zero: a dip of one connection must not fill the chart.
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; }
  function scaled(u, vals) { return vals.map(function (v) { return v >= 1e6 ? (v / 1e6) + 'M' : v >= 1e3 ? (v / 1e3) + 'k' : String(v); }); }
  var sp = data.spectrum;
  make('chart-spectrum', {
    scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
    axes: [
      {
        label: 'percentile',
        splits: function (u, i, min, max) { return [1, 2, 4, 10, 100, 1e3, 1e4, 1e5, 1e6].filter(function (v) { return v >= min && v <= max; }); },
        // The default filter of a log axis blanks ticks that are not powers of ten: keep 50 % and 75 %.
        filter: function (u, splits) { return splits; },
        values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : pctLabel(v); }); }
      },
      { label: 'latency (ms, log)', size: 60 }
    ],
    series: [
      { label: 'percentile', value: function (u, v) { return v == null ? '-' : pctLabel(v); } },
      { label: 'corrected', stroke: '#c62828', width: 2, value: ms },
      { label: 'uncorrected', stroke: '#1565c0', width: 2, dash: [6, 4], value: ms }
    ]
  }, [sp.x, sp.corrected, sp.uncorrected]);
  var s = data.series;
  make('chart-throughput', {
    scales: { x: { time: false }, y: { range: fromZero }, conn: { range: fromZero } },
    axes: [
      { label: 'seconds', incrs: SECONDS },
      { label: 'echoes/s', size: 70, values: scaled },
      { scale: 'conn', side: 1, label: 'connections', size: 60, grid: { show: false } }
    ],
    series: [
      { label: 'second' },
      { label: 'echoes/s', stroke: '#2e7d32', width: 2, fill: 'rgba(46,125,50,0.08)', value: num },
      { label: 'open connections', stroke: '#6a1b9a', width: 2, scale: 'conn', value: num }
    ]
  }, [s.t, s.echoed, s.connections]);
  make('chart-latency', {
    scales: { x: { time: false }, y: { range: fromZero } },
    axes: [{ label: 'seconds', incrs: SECONDS }, { label: 'latency (ms)', size: 60 }],
    series: [
      { label: 'second' },
      { label: 'p50', stroke: '#1565c0', width: 2, value: ms },
      { label: 'p99', stroke: '#c62828', width: 2, value: ms }
    ]
  }, [s.t, s.p50, s.p99]);
  var hist = data.histogram;
  make('chart-histogram', {
    scales: { x: { time: false, distr: 3 }, y: { range: fromZero } },
    axes: [{ label: 'latency (ms, log)' }, { label: 'echoes', size: 70, values: scaled }],
    series: [
      { label: 'from', value: ms },
      { label: 'echoes', stroke: '#c62828', fill: 'rgba(198,40,40,0.25)', width: 1, paths: uPlot.paths.stepped({ align: 1 }), value: num }
    ]
  }, [hist.lowMs, hist.count]);
  var lc = data.loadCurve;
  make('chart-load', {
    scales: { x: { time: false, range: fromZero }, y: { range: fromZero } },
    axes: [{ label: 'echoes/s', values: scaled }, { label: 'p99 (ms)', size: 60 }],
    series: [
      { label: 'echoes/s', value: num },
      { label: 'p99', stroke: '#c62828', width: 0, paths: function () { return null; }, points: { show: true, size: 6, fill: '#c62828' }, value: ms }
    ]
  }, [lc.echoed, lc.p99]);
  var COLOURS = ['#c62828', '#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f'];
  var cuts = data.cuts;
  make('chart-cuts', {
    scales: { x: { time: false }, y: { range: fromZero } },
    axes: [{ label: 'seconds', incrs: SECONDS }, { label: 'cuts per second', size: 60 }],
    series: [{ label: 'second' }].concat(cuts.actions.map(function (a, i) { return { label: a, stroke: COLOURS[i % COLOURS.length], width: 2, value: num }; }))
  }, [s.t].concat(cuts.perSecond));
  make('chart-errors', {
    scales: { x: { time: false }, y: { range: fromZero } },
    axes: [{ label: 'seconds', incrs: SECONDS }, { label: 'per second', size: 60 }],
    series: [
      { label: 'second' },
      { label: 'errors', stroke: '#c62828', width: 2, value: num },
      { label: 'behind schedule', stroke: '#ef6c00', width: 2, value: num }
    ]
  }, [s.t, s.errors, s.behindSchedule]);
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) { c.plot.setSize({ width: widthOf(c.el), height: HEIGHT }); });
    }, 100);
  });
  document.documentElement.setAttribute('data-charts-drawn', String(charts.length));
})();`;
