/*
 * app.js: the Strata console. Three views selected by the URL hash:
 *   #/cluster       every node (GET /v1/cluster/nodes) and replica lag
 *                   (GET /v1/cluster/lag), refreshed every 2 s
 *   #/table[/S.T]   region x datanode grid of one table
 *                   (GET /v1/cluster/tables/S/T/regions), refreshed every
 *                   2 s; ADMIN buttons through POST /v1/sql
 *   #/query         SQL box -> POST /v1/sql (x-greptime-read-preference),
 *                   result tables, a line chart (chart.js), timings, and
 *                   optionally the peer that served each region (EXPLAIN
 *                   ANALYZE, plus the replicas' reads_served counters when
 *                   information_schema.region_replicas exists)
 * Every failure shows the server's message in the view's error box; no
 * exception escapes a handler, so the page keeps working.
 */
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var REFRESH_MS = 2000;
  var timer = null;
  var state = { nodes: [], table: null };

  // ---- HTTP ---------------------------------------------------------------

  function errorText(status, body) {
    if (body && typeof body === 'object' && body.error !== undefined)
      return (body.code !== undefined ? '[' + body.code + '] ' : '') + body.error;
    return 'HTTP ' + status + (typeof body === 'string' && body ? ': ' + body.slice(0, 300) : '');
  }

  // -> Promise of parsed JSON; rejects with Error(server message).
  function request(url, opts) {
    return fetch(url, opts || {}).then(function (resp) {
      return resp.text().then(function (text) {
        var body = text;
        try { body = text ? JSON.parse(text) : {}; } catch (e) { /* not JSON */ }
        setConn(true);
        if (!resp.ok || (body && typeof body === 'object' && body.error !== undefined)) {
          var err = new Error(errorText(resp.status, body));
          err.status = resp.status;
          err.body = body;
          throw err;
        }
        return body;
      });
    }, function (e) {
      setConn(false);
      throw new Error('cannot reach the server: ' + e.message);
    });
  }

  function sql(text, opts) {
    opts = opts || {};
    var headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (opts.readPreference) headers['x-greptime-read-preference'] = opts.readPreference;
    var body = 'sql=' + encodeURIComponent(text);
    if (opts.db) body += '&db=' + encodeURIComponent(opts.db);
    return request('../v1/sql', { method: 'POST', headers: headers, body: body });
  }

  function records(out) { // first records output of a /v1/sql answer
    var outs = (out && out.output) || [];
    for (var i = 0; i < outs.length; i++) if (outs[i].records) return outs[i].records;
    return null;
  }

  function setConn(ok) {
    var c = $('conn-status');
    c.textContent = ok ? 'connected to ' + location.host : 'server unreachable';
    c.className = 'conn' + (ok ? '' : ' bad');
  }

  function showError(id, msg) {
    var e = $(id);
    if (msg) { e.textContent = msg; e.hidden = false; } else { e.textContent = ''; e.hidden = true; }
  }

  // ---- helpers ------------------------------------------------------------

  function td(tr, text, cls) {
    var c = document.createElement('td');
    c.textContent = text === null || text === undefined ? '' : String(text);
    if (cls) c.className = cls;
    tr.appendChild(c);
    return c;
  }

  function bytes(n) {
    if (n === null || n === undefined) return '-';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
  }

  function regionLabel(id) { // "1024:0" = table id : region number
    return Math.floor(id / 4294967296) + ':' + (id % 4294967296);
  }

  function sqlString(s) { return "'" + String(s).replace(/'/g, "''") + "'"; }

  function now() { return new Date().toLocaleTimeString(); }

  // ---- cluster view ---------------------------------------------------------

  // A node that was listed before and no longer is stays in the view as
  // dead ("not reported") until the page is reloaded.
  var seen = {};
  function withMissing(nodes) {
    var now = {};
    nodes.forEach(function (n) {
      var k = n.peer_type + '/' + n.peer_id;
      now[k] = true;
      seen[k] = n;
    });
    Object.keys(seen).forEach(function (k) {
      if (now[k]) return;
      var old = seen[k], copy = {};
      for (var f in old) copy[f] = old[f];
      copy.alive = false;
      copy.node_status = 'not reported by the cluster any more';
      copy.uptime = null;
      nodes.push(copy);
    });
    return nodes;
  }

  function refreshCluster() {
    return request('../v1/cluster/nodes').then(function (res) {
      showError('cluster-error', null);
      state.nodes = withMissing(res.nodes || []);
      var tbody = $('nodes-table').tBodies[0];
      tbody.textContent = '';
      state.nodes.forEach(function (n) {
        var tr = document.createElement('tr');
        tr.dataset.peerType = n.peer_type;
        tr.dataset.peerId = n.peer_id;
        tr.className = 'node ' + (n.alive ? 'alive' : 'dead');
        td(tr, n.peer_type);
        td(tr, n.peer_id, 'num');
        td(tr, n.peer_addr);
        var st = td(tr, '', 'status');
        var b = document.createElement('span');
        b.className = 'badge ' + (n.alive ? 'alive' : 'dead');
        b.textContent = n.alive ? 'alive' : 'dead';
        st.appendChild(b);
        if (n.node_status) st.appendChild(document.createTextNode(' ' + n.node_status));
        td(tr, n.uptime);
        td(tr, n.leader_regions === null ? '-' : n.leader_regions, 'num leaders');
        td(tr, n.follower_regions === null ? '-' : n.follower_regions, 'num followers');
        td(tr, n.version);
        tbody.appendChild(tr);
      });
      $('cluster-updated').textContent = 'Updated ' + now() + '.';
    }).catch(function (e) {
      showError('cluster-error', e.message);
    }).then(function () {
      return request('../v1/cluster/lag').then(function (lag) {
        var n = (lag.replicas || []).filter(function (r) { return String(r.role).toLowerCase() !== 'leader'; }).length;
        $('lag-summary').textContent = n + ' follower replica(s); worst lag ' +
          lag.max_versions_behind + ' manifest version(s) behind, ' + lag.max_ms_since_sync + ' ms since sync.';
      }, function (e) {
        $('lag-summary').textContent = 'Replica lag is not available here: ' + e.message;
      });
    });
  }

  // ---- table view -------------------------------------------------------------

  function loadTables() {
    return sql("SELECT table_schema, table_name FROM information_schema.tables " +
      "WHERE table_type = 'BASE TABLE' AND table_schema <> 'information_schema' " +
      "ORDER BY table_schema, table_name").then(function (out) {
      var rec = records(out), pick = $('table-picker'), keep = pick.value;
      pick.textContent = '';
      (rec ? rec.rows : []).forEach(function (r) {
        var o = document.createElement('option');
        o.value = r[0] + '.' + r[1];
        o.textContent = r[0] === 'public' ? r[1] : r[0] + '.' + r[1];
        pick.appendChild(o);
      });
      var want = state.table || keep;
      if (want && !Array.prototype.some.call(pick.options, function (o) { return o.value === want; })) {
        // asked for by the URL but not listed: keep it, the server will
        // say what is wrong with it
        var missing = document.createElement('option');
        missing.value = want;
        missing.textContent = want + ' (not listed)';
        pick.insertBefore(missing, pick.firstChild);
      }
      if (want) pick.value = want;
      state.table = pick.value || null;
      if (!state.table) showError('table-error', 'No tables yet: create one in the Query view.');
    }).catch(function (e) { showError('table-error', e.message); });
  }

  function splitTable(v) {
    var i = v.indexOf('.');
    return { schema: v.slice(0, i), table: v.slice(i + 1) };
  }

  function cellContent(cell, peer, region) {
    var role = document.createElement('div');
    role.className = 'role';
    role.textContent = peer.role === 'leader' ? 'Leader' : 'Follower';
    cell.appendChild(role);
    var lines = [];
    var st = peer.stats || (peer.role === 'leader' ? region.stats : null);
    var rep = peer.replica;
    if (peer.role === 'follower') {
      if (rep) {
        lines.push(rep.versions_behind + ' version(s) behind');
        lines.push(rep.ms_since_sync + ' ms since sync');
        lines.push('manifest v' + rep.installed_manifest_version + ' / v' + rep.leader_manifest_version);
        if (rep.reads_served !== undefined) lines.push(rep.reads_served + ' reads served');
        if (rep.versions_behind > 0) cell.classList.add('behind');
      } else {
        lines.push('lag: n/a');
      }
    } else if (rep && rep.reads_served !== undefined) {
      lines.push(rep.reads_served + ' reads served');
    }
    if (st) {
      lines.push(st.region_rows + ' rows');
      lines.push(st.sst_num + ' SST(s), ' + bytes(st.sst_size));
    }
    if (peer.status && peer.status !== 'ALIVE') lines.push('status ' + peer.status);
    if (peer.down_seconds !== null && peer.down_seconds !== undefined) {
      lines.push('down ' + peer.down_seconds + ' s');
      cell.classList.add('down');
    }
    lines.forEach(function (l) {
      var d = document.createElement('div');
      d.className = 'line';
      d.textContent = l;
      cell.appendChild(d);
    });
    if (peer.role === 'follower' && peer.peer_id !== null) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'mini';
      b.textContent = 'remove';
      b.title = 'ADMIN REMOVE_REGION_FOLLOWER(' + region.region_id + ', ' + peer.peer_id + ')';
      b.addEventListener('click', function () {
        admin('REMOVE_REGION_FOLLOWER(' + region.region_id + ', ' + peer.peer_id + ')');
      });
      cell.appendChild(b);
    }
  }

  function renderGrid(res) {
    var grid = $('region-grid');
    grid.textContent = '';
    // columns: every datanode the cluster view knows, plus any peer the
    // table names that it does not (e.g. the nodes call failed)
    var cols = [], byId = {};
    state.nodes.forEach(function (n) {
      var t = String(n.peer_type).toUpperCase();
      if ((t === 'DATANODE' || t === 'STANDALONE') && !byId[n.peer_id]) {
        byId[n.peer_id] = n; cols.push(n.peer_id);
      }
    });
    res.regions.forEach(function (r) {
      r.peers.forEach(function (p) {
        if (p.peer_id !== null && !byId[p.peer_id]) { byId[p.peer_id] = { peer_id: p.peer_id, alive: true, peer_addr: p.peer_addr }; cols.push(p.peer_id); }
      });
    });
    cols.sort(function (a, b) { return a - b; });
    var thead = grid.createTHead(), hr = thead.insertRow();
    var h0 = document.createElement('th'); h0.textContent = 'Region'; hr.appendChild(h0);
    cols.forEach(function (id) {
      var n = byId[id], th = document.createElement('th');
      th.textContent = (n.peer_type ? String(n.peer_type).toLowerCase() : 'datanode') + ' ' + id +
        (n.alive ? '' : ' (dead)');
      th.title = n.peer_addr || '';
      th.dataset.peerId = id;
      if (!n.alive) th.className = 'dead';
      hr.appendChild(th);
    });
    var tb = grid.createTBody();
    res.regions.forEach(function (r) {
      var tr = tb.insertRow();
      tr.dataset.regionId = r.region_id;
      var h = document.createElement('th');
      h.textContent = r.region_id + ' (' + regionLabel(r.region_id) + ')';
      tr.appendChild(h);
      cols.forEach(function (id) {
        var cell = tr.insertCell();
        cell.className = 'cell';
        cell.dataset.peerId = id;
        var peer = r.peers.filter(function (p) { return p.peer_id === id; })[0];
        if (!peer) {
          cell.classList.add('empty');
          cell.dataset.role = 'none';
          cell.textContent = '-';
          var n = byId[id];
          if (n && n.alive && String(n.peer_type).toUpperCase() === 'DATANODE') {
            var add = document.createElement('button');
            add.type = 'button';
            add.className = 'mini add';
            add.textContent = '+ follower';
            add.title = 'ADMIN ADD_REGION_FOLLOWER(' + r.region_id + ', ' + id + ')';
            add.addEventListener('click', function () {
              admin('ADD_REGION_FOLLOWER(' + r.region_id + ', ' + id + ')');
            });
            cell.appendChild(document.createElement('br'));
            cell.appendChild(add);
          }
          return;
        }
        cell.classList.add(peer.role);
        cell.dataset.role = peer.role;
        if (byId[id] && !byId[id].alive) cell.classList.add('down');
        cellContent(cell, peer, r);
      });
    });
    var note = $('replicas-note');
    if (!res.replicas_available) {
      note.textContent = 'Follower lag is not available on this server (' + (res.replicas_error || 'no information_schema.region_replicas') + ').';
      note.hidden = false;
    } else note.hidden = true;
  }

  function refreshTable() {
    if (!state.table) return Promise.resolve();
    var t = splitTable(state.table);
    var nodes = state.nodes.length ? Promise.resolve() :
      request('../v1/cluster/nodes').then(function (r) { state.nodes = withMissing(r.nodes || []); }, function () {});
    return nodes.then(function () {
      return request('../v1/cluster/tables/' + encodeURIComponent(t.schema) + '/' +
        encodeURIComponent(t.table) + '/regions');
    }).then(function (res) {
      showError('table-error', null);
      renderGrid(res);
      $('table-updated').textContent = 'Updated ' + now() + '.';
    }).catch(function (e) {
      showError('table-error', e.message);
      $('region-grid').textContent = '';
    });
  }

  function admin(call) {
    var box = $('admin-result');
    if (!state.table) { box.textContent = 'Pick a table first.'; box.className = 'result-msg failed'; box.hidden = false; return Promise.resolve(); }
    var t = splitTable(state.table);
    var stmt = 'ADMIN ' + call;
    box.textContent = stmt + ' ...';
    box.className = 'result-msg';
    box.hidden = false;
    return sql(stmt, { db: t.schema }).then(function (out) {
      var rec = records(out);
      var v = rec && rec.rows.length ? rec.rows[0].join(', ') : JSON.stringify(out.output || []);
      box.textContent = stmt + ' -> ' + v + ' (' + out.execution_time_ms + ' ms)';
      box.className = 'result-msg ok';
    }, function (e) {
      box.textContent = stmt + ' failed: ' + e.message;
      box.className = 'result-msg failed';
    }).then(refreshTable);
  }

  function tableArg() {
    return sqlString(splitTable(state.table || '.').table);
  }

  // ---- query view -----------------------------------------------------------------

  function renderRecords(rec, into) {
    var table = document.createElement('table');
    table.className = 'grid results';
    var hr = table.createTHead().insertRow();
    rec.schema.column_schemas.forEach(function (c) {
      var th = document.createElement('th');
      th.textContent = c.name;
      th.title = c.data_type;
      hr.appendChild(th);
    });
    var tb = table.createTBody();
    rec.rows.forEach(function (row) {
      var tr = tb.insertRow();
      row.forEach(function (v, i) {
        var ty = rec.schema.column_schemas[i].data_type;
        var text = v;
        if (v !== null && /^Timestamp/.test(ty)) text = tsText(v, ty);
        else if (v !== null && typeof v === 'object') text = JSON.stringify(v);
        td(tr, v === null ? 'NULL' : text, typeof v === 'number' ? 'num' : '');
      });
    });
    var meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = rec.total_rows + ' row(s)';
    into.appendChild(table);
    into.appendChild(meta);
  }

  function tsText(v, ty) {
    var ms = /Nanosecond$/.test(ty) ? v / 1e6 : /Microsecond$/.test(ty) ? v / 1e3 :
      /Millisecond$/.test(ty) ? v : v * 1000;
    var d = new Date(ms);
    return isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace('Z', '');
  }

  function isQuery(text) {
    return /^\s*(SELECT|WITH|TQL)\b/i.test(text) && text.trim().replace(/;\s*$/, '').indexOf(';') < 0;
  }

  function lagSnapshot() {
    return request('../v1/cluster/lag').then(function (l) { return l.replicas || []; }, function () { return null; });
  }

  function servedFromCounters(before, after) {
    if (!before || !after) return null;
    var old = {};
    before.forEach(function (r) { old[r.region_id + '/' + r.peer_id] = r.reads_served || 0; });
    var moved = [];
    after.forEach(function (r) {
      var d = (r.reads_served || 0) - (old[r.region_id + '/' + r.peer_id] || 0);
      if (d > 0) moved.push({ region_id: r.region_id, peer_id: r.peer_id, role: r.role, reads: d });
    });
    return moved;
  }

  // One entry per region line of EXPLAIN ANALYZE ("SeqScan: region=ID(..)...").
  function parseExplain(out) {
    var rec = records(out), found = [];
    if (!rec) return found;
    var col = rec.schema.column_schemas.length - 1;
    rec.rows.forEach(function (row) {
      String(row[col] || '').split('\n').forEach(function (line) {
        var m = /region[=:\s]+(\d+)/i.exec(line);
        if (!m) return;
        var peer = /\b(?:peer|peer_id|datanode|node)[=:\s]+(\d+)/i.exec(line);
        var role = /\b(leader|follower)\b/i.exec(line);
        found.push({ region_id: Number(m[1]), peer_id: peer ? Number(peer[1]) : null,
          role: role ? role[1].toLowerCase() : null, line: line.trim() });
      });
    });
    return found;
  }

  function renderPeers(explained, moved, leaders, pref) {
    var box = $('query-peers');
    box.textContent = '';
    var h = document.createElement('h3');
    h.textContent = 'Which peer served each region';
    box.appendChild(h);
    if (!explained.length) {
      var p = document.createElement('p');
      p.className = 'meta';
      p.textContent = 'EXPLAIN ANALYZE names no region for this query.';
      box.appendChild(p);
      return;
    }
    var table = document.createElement('table');
    table.className = 'grid peers-table';
    var hr = table.createTHead().insertRow();
    ['Region', 'Peer', 'Role', 'How we know', 'Plan line'].forEach(function (t) {
      var th = document.createElement('th'); th.textContent = t; hr.appendChild(th);
    });
    var tb = table.createTBody();
    explained.forEach(function (e) {
      var tr = tb.insertRow();
      tr.dataset.regionId = e.region_id;
      var peer = e.peer_id, role = e.role, how = 'EXPLAIN ANALYZE';
      var m = moved ? moved.filter(function (x) { return x.region_id === e.region_id; }) : [];
      if (peer === null && m.length) {
        peer = m.map(function (x) { return x.peer_id; }).join(', ');
        role = m.map(function (x) { return x.role; }).join(', ');
        how = 'reads_served counters';
      } else if (peer === null && pref === 'leader' && leaders[e.region_id] !== undefined) {
        peer = leaders[e.region_id];
        role = 'leader';
        how = 'inferred: the plan names no peer; the region\'s leader';
      }
      if (role === null && typeof peer === 'number' && leaders[e.region_id] !== undefined) {
        role = peer === leaders[e.region_id] ? 'leader' : 'follower';
        how += ' (role from region_peers)';
      }
      td(tr, e.region_id + ' (' + regionLabel(e.region_id) + ')');
      td(tr, peer === null ? '?' : peer, 'peer');
      td(tr, role || '?', 'role');
      td(tr, how);
      td(tr, e.line);
    });
    box.appendChild(table);
  }

  function runQuery() {
    var text = $('sql').value;
    var pref = $('read-pref').value;
    var db = $('db').value.trim();
    var wantPeers = $('show-peers').checked && isQuery(text);
    showError('query-error', null);
    $('query-meta').textContent = 'running...';
    $('query-peers').textContent = '';
    $('chart').textContent = '';
    $('results').textContent = '';
    $('run').disabled = true;
    var t0 = performance.now(), before = null;
    var pre = wantPeers ? lagSnapshot().then(function (b) { before = b; }) : Promise.resolve();
    return pre.then(function () {
      return sql(text, { readPreference: pref, db: db });
    }).then(function (out) {
      var ms = Math.round(performance.now() - t0);
      $('query-meta').textContent = 'Server time ' + out.execution_time_ms + ' ms, round trip ' + ms +
        ' ms, READ_PREFERENCE ' + pref + '.';
      var last = null;
      (out.output || []).forEach(function (o) {
        if (o.records) { renderRecords(o.records, $('results')); last = o.records; }
        else if (o.affectedrows !== undefined) {
          var d = document.createElement('div');
          d.className = 'affected';
          d.textContent = o.affectedrows + ' row(s) affected';
          $('results').appendChild(d);
        }
      });
      if (last) {
        var spec = window.StrataChart.pickSeries(last.schema.column_schemas, last.rows);
        if (spec) window.StrataChart.render($('chart'), spec);
      }
      if (!wantPeers) return;
      return lagSnapshot().then(function (after) {
        var moved = servedFromCounters(before, after);
        return Promise.all([
          sql('EXPLAIN ANALYZE ' + text.replace(/;\s*$/, ''), { readPreference: pref, db: db }),
          sql('SELECT region_id, peer_id, is_leader FROM information_schema.region_peers').catch(function () { return null; })
        ]).then(function (res) {
          var leaders = {};
          var lr = res[1] && records(res[1]);
          if (lr) lr.rows.forEach(function (r) { if (r[2] === 'Yes') leaders[r[0]] = r[1]; });
          renderPeers(parseExplain(res[0]), moved, leaders, pref);
        }, function (e) {
          $('query-peers').textContent = 'EXPLAIN ANALYZE failed: ' + e.message;
        });
      });
    }).catch(function (e) {
      $('query-meta').textContent = 'Failed after ' + Math.round(performance.now() - t0) + ' ms.';
      showError('query-error', e.message);
    }).then(function () { $('run').disabled = false; });
  }

  // ---- routing --------------------------------------------------------------------------

  function stopTimer() { if (timer) { clearInterval(timer); timer = null; } }

  function route() {
    stopTimer();
    var h = location.hash || '#/cluster';
    var view = h.indexOf('#/table') === 0 ? 'table' : h.indexOf('#/query') === 0 ? 'query' : 'cluster';
    ['cluster', 'table', 'query'].forEach(function (v) {
      $('view-' + v).hidden = v !== view;
      $('nav-' + v).className = v === view ? 'active' : '';
    });
    if (view === 'cluster') {
      refreshCluster();
      timer = setInterval(refreshCluster, REFRESH_MS);
    } else if (view === 'table') {
      var m = /^#\/table\/(.+)$/.exec(h);
      if (m) state.table = decodeURIComponent(m[1]);
      request('../v1/cluster/nodes').then(function (r) { state.nodes = withMissing(r.nodes || []); }, function () {})
        .then(loadTables).then(refreshTable);
      timer = setInterval(function () {
        request('../v1/cluster/nodes').then(function (r) { state.nodes = withMissing(r.nodes || []); }, function () {})
          .then(refreshTable);
      }, REFRESH_MS);
    }
  }

  function init() {
    window.addEventListener('hashchange', route);
    $('run').addEventListener('click', runQuery);
    $('sql').addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runQuery(); }
    });
    $('table-picker').addEventListener('change', function () {
      state.table = this.value;
      $('admin-result').hidden = true;
      history.replaceState(null, '', '#/table/' + encodeURIComponent(state.table));
      refreshTable();
    });
    $('table-reload').addEventListener('click', function () { loadTables().then(refreshTable); });
    $('btn-add-follower').addEventListener('click', function () {
      var ids = $('follower-ids').value.trim();
      admin('ADD_TABLE_FOLLOWER(' + tableArg() + (ids ? ', ' + sqlString(ids) : '') + ')');
    });
    $('btn-remove-follower').addEventListener('click', function () { admin('REMOVE_TABLE_FOLLOWER(' + tableArg() + ')'); });
    $('btn-flush').addEventListener('click', function () { admin('FLUSH_TABLE(' + tableArg() + ')'); });
    $('btn-compact').addEventListener('click', function () { admin('COMPACT_TABLE(' + tableArg() + ')'); });
    route();
  }

  init();
})();
