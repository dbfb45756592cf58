/*
 * chart.js: a small SVG line chart for query results (no dependencies).
 *
 * StrataChart.pickSeries(columns, rows) decides whether a result can be
 * charted: it needs a timestamp column (data_type "Timestamp*") and at
 * least one numeric column. When the result also has exactly one string
 * column with at most 12 distinct values (a tag such as host), each
 * (tag value, numeric column) pair becomes its own series.
 * StrataChart.render(el, spec) draws the chart into el as an <svg>.
 */
(function () {
  'use strict';
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b',
    '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var NUMERIC = /^(Int|UInt|Float)\d+$/;
  var SVGNS = 'http://www.w3.org/2000/svg';

  function unitScale(type) { // JSON timestamps are integers in the column's unit
    if (/Second$/.test(type) && !/(Milli|Micro|Nano)second$/.test(type)) return 1000;
    if (/Microsecond$/.test(type)) return 1 / 1000;
    if (/Nanosecond$/.test(type)) return 1 / 1e6;
    return 1; // millisecond
  }

  function pickSeries(columns, rows) {
    var ts = -1, nums = [], strs = [];
    columns.forEach(function (c, i) {
      if (ts < 0 && /^Timestamp/.test(c.data_type)) ts = i;
      else if (NUMERIC.test(c.data_type)) nums.push(i);
      else if (c.data_type === 'String') strs.push(i);
    });
    if (ts < 0 || nums.length === 0 || rows.length === 0) return null;
    var scale = unitScale(columns[ts].data_type);
    var tag = -1;
    if (strs.length === 1) {
      var seen = {}, n = 0;
      for (var r = 0; r < rows.length && n <= 12; r++) {
        var v = String(rows[r][strs[0]]);
        if (!seen[v]) { seen[v] = 1; n++; }
      }
      if (n <= 12) tag = strs[0];
    }
    var series = {}, order = [];
    rows.forEach(function (row) {
      var t = row[ts];
      if (t === null || t === undefined) return;
      nums.forEach(function (c) {
        var y = row[c];
        if (y === null || typeof y !== 'number') return;
        var name = (tag >= 0 ? row[tag] + ' ' : '') + columns[c].name;
        if (!series[name]) { series[name] = []; order.push(name); }
        series[name].push([t * scale, y]);
      });
    });
    if (order.length === 0) return null;
    return {
      x: columns[ts].name,
      series: order.slice(0, 20).map(function (n) {
        return { name: n, points: series[n].sort(function (a, b) { return a[0] - b[0]; }) };
      })
    };
  }

  function el(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmtTime(ms, span) {
    var d = new Date(ms);
    var iso = d.toISOString();
    if (span < 2 * 86400000) return iso.slice(11, span < 60000 ? 23 : 19);
    return iso.slice(0, 10) + ' ' + iso.slice(11, 16);
  }

  function fmtNum(v) {
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
    return String(Math.round(v * 1000) / 1000);
  }

  function render(container, spec) {
    container.textContent = '';
    var W = 760, H = 300, L = 64, R = 16, T = 12, B = 40;
    var xs = [], ys = [];
    spec.series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    var pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
    var sx = function (x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (y) { return T + (y1 - y) / (y1 - y0) * (H - T - B); };
    var svg = el('svg', { width: W, height: H + 20 * Math.ceil(spec.series.length / 4), viewBox: '0 0 ' + W + ' ' + (H + 20 * Math.ceil(spec.series.length / 4)), role: 'img', 'aria-label': 'line chart' });
    for (var i = 0; i <= 4; i++) {
      var yv = y0 + (y1 - y0) * i / 4, py = sy(yv);
      svg.appendChild(el('line', { x1: L, x2: W - R, y1: py, y2: py, 'class': 'gridline' }));
      svg.appendChild(el('text', { x: L - 6, y: py + 4, 'text-anchor': 'end' }, fmtNum(yv)));
      var xv = x0 + (x1 - x0) * i / 4;
      svg.appendChild(el('text', { x: sx(xv), y: H - B + 16, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, fmtTime(xv, x1 - x0)));
    }
    svg.appendChild(el('line', { x1: L, x2: L, y1: T, y2: H - B, 'class': 'axis' }));
    svg.appendChild(el('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, 'class': 'axis' }));
    svg.appendChild(el('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, spec.x + ' (UTC)'));
    var legend = el('g', { 'class': 'legend' });
    spec.series.forEach(function (s, k) {
      var color = COLORS[k % COLORS.length];
      var d = s.points.map(function (p, j) { return (j ? 'L' : 'M') + sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' ');
      svg.appendChild(el('path', { d: d, fill: 'none', stroke: color, 'stroke-width': 2, 'class': 'series', 'data-series': s.name }));
      s.points.forEach(function (p) {
        var c = el('circle', { cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: 2.5, fill: color });
        c.appendChild(el('title', {}, s.name + ': ' + p[1] + ' @ ' + new Date(p[0]).toISOString()));
        svg.appendChild(c);
      });
      var lx = L + (k % 4) * 170, ly = H + 8 + Math.floor(k / 4) * 20;
      legend.appendChild(el('rect', { x: lx, y: ly, width: 12, height: 12, fill: color }));
      legend.appendChild(el('text', { x: lx + 16, y: ly + 10 }, s.name));
    });
    svg.appendChild(legend);
    container.appendChild(svg);
  }

  window.StrataChart = { pickSeries: pickSeries, render: render };
})();
