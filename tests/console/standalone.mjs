// standalone.mjs BASE_URL SCREENS_DIR: browser tests of the console against
// `strata standalone start` (started by tests/suites/console.sh).
import { launch, Reporter, waitFor, runSql, cellRoles, sql } from './lib.mjs';

const [base, screens] = process.argv.slice(2);
const rep = new Reporter(screens);
const { browser, page, external, pageErrors } = await launch();
const opts = { base };

try {
  await rep.check(page, 'console: /dashboard redirects to /dashboard/ and the page loads', 'cluster', async () => {
    const resp = await page.goto(`${base}/dashboard`);
    if (!resp.ok()) return `status ${resp.status()}`;
    if (!page.url().endsWith('/dashboard/')) return `ended at ${page.url()}`;
    const title = await page.title();
    if (title !== 'Strata console') return `title ${title}`;
  });

  await rep.check(page, 'cluster view lists the standalone node as alive with its region counts', 'cluster-view', async () => {
    await page.goto(`${base}/dashboard/#/cluster`);
    const row = await waitFor(() => page.$('#nodes-table tbody tr[data-peer-type="STANDALONE"]'));
    if (!row) return 'no STANDALONE row';
    const cells = await row.$$eval('td', (tds) => tds.map((t) => t.textContent));
    if (!/alive/.test(cells[3])) return `status ${cells[3]}`;
    if (!/:\d+$/.test(cells[2])) return `address ${cells[2]}`;
    if (!cells[4]) return 'no uptime';
  });

  await rep.check(page, 'cluster view refreshes by itself (uptime changes within 5 s)', null, async () => {
    const first = await page.textContent('#cluster-updated');
    const changed = await waitFor(async () => (await page.textContent('#cluster-updated')) !== first, 5000);
    if (!changed) return `still "${first}"`;
  });

  await rep.check(page, 'query view: CREATE TABLE (partitioned) and INSERT report success', 'query-create', async () => {
    await runSql(page, "CREATE TABLE cpu (host STRING, ts TIMESTAMP TIME INDEX, usage DOUBLE, PRIMARY KEY(host)) " +
      "PARTITION ON COLUMNS (host) (host < 'm', host >= 'm');\n" +
      "INSERT INTO cpu VALUES ('alpha', '2024-01-01 00:00:00', 10.5), ('alpha', '2024-01-01 00:01:00', 12), " +
      "('alpha', '2024-01-01 00:02:00', 9.25), ('zulu', '2024-01-01 00:00:00', 50), " +
      "('zulu', '2024-01-01 00:01:00', 55.5), ('zulu', '2024-01-01 00:02:00', 53)", opts);
    if (!(await page.isHidden('#query-error'))) return await page.textContent('#query-error');
    const txt = await page.textContent('#results');
    if (!/6 row\(s\) affected/.test(txt)) return txt;
  });

  await rep.check(page, 'query view: a time-series query renders rows, a line chart and timings', 'query-chart', async () => {
    await runSql(page, 'SELECT host, ts, usage FROM cpu ORDER BY host, ts', opts);
    if (!(await page.isHidden('#query-error'))) return await page.textContent('#query-error');
    const rows = await page.$$eval('#results table tbody tr', (trs) => trs.map((t) => t.textContent));
    if (rows.length !== 6) return `rows: ${rows.length}`;
    if (!/alpha2024-01-01 00:00:00\.00010\.5/.test(rows[0])) return `first row ${rows[0]}`;
    const paths = await page.$$eval('#chart svg path.series', (ps) => ps.map((p) => p.getAttribute('data-series')));
    if (paths.length !== 2 || !paths.includes('alpha usage') || !paths.includes('zulu usage'))
      return `series ${JSON.stringify(paths)}`;
    if (!/Server time \d+ ms, round trip \d+ ms/.test(await page.textContent('#query-meta')))
      return await page.textContent('#query-meta');
  });

  await rep.check(page, 'query view: READ_PREFERENCE header and the per-region peers from EXPLAIN ANALYZE', 'query-peers', async () => {
    await runSql(page, 'SELECT * FROM cpu ORDER BY ts', { ...opts, peers: true, readPreference: 'follower_preferred' });
    if (!(await page.isHidden('#query-error'))) return await page.textContent('#query-error');
    const rows = await page.$$eval('#query-peers tbody tr', (trs) => trs.map((t) => t.textContent));
    if (rows.length !== 2) return `peer rows ${JSON.stringify(rows)}`;
    if (!/READ_PREFERENCE follower_preferred/.test(await page.textContent('#query-meta'))) return 'no preference shown';
    // 'follower' reaches the server as the header: standalone has no follower and says so
    await runSql(page, 'SELECT * FROM cpu', { ...opts, readPreference: 'follower' });
    const err = await page.textContent('#query-error');
    if (!/read preference: FOLLOWER/.test(err)) return `follower preference: ${err}`;
  });

  await rep.check(page, 'query view: invalid SQL shows the server\'s message and the page keeps working', 'query-bad-sql', async () => {
    await runSql(page, 'SELEC 1', opts);
    const err = await page.textContent('#query-error');
    if (!/SQL statement is not supported, keyword: SELEC/.test(err)) return `error box: ${err}`;
    await rep.shot(page, 'query-bad-sql-error');
    await runSql(page, 'SELECT 1 + 1 AS two', opts);
    if (!(await page.isHidden('#query-error'))) return 'error box stays';
    const txt = await page.textContent('#results');
    if (!/two2/.test(txt.replace(/\s+/g, ''))) return txt;
  });

  await rep.check(page, 'query view: unknown table shows "Table not found" from the server', 'query-unknown-table', async () => {
    await runSql(page, 'SELECT * FROM nope', opts);
    const err = await page.textContent('#query-error');
    if (!/Table not found: greptime\.public\.nope/.test(err)) return `error box: ${err}`;
  });

  await rep.check(page, 'table view: unknown table in the URL shows the server\'s error; picking a real one recovers', 'table-unknown', async () => {
    await page.goto(`${base}/dashboard/#/table/public.nope`);
    const err = await waitFor(async () => {
      const t = await page.textContent('#table-error');
      return /Table not found/.test(t) ? t : null;
    });
    if (!err) return `error box: ${await page.textContent('#table-error')}`;
    await page.selectOption('#table-picker', 'public.cpu');
    const ok = await waitFor(async () => (await page.isHidden('#table-error')) &&
      (await page.$$('#region-grid tbody tr')).length === 2);
    if (!ok) return 'grid did not recover';
  });

  await rep.check(page, 'table view: the region grid shows both regions led by the standalone node with rows', 'table-grid', async () => {
    await page.goto(`${base}/dashboard/#/table/public.cpu`);
    const cells = await waitFor(async () => {
      const c = await cellRoles(page);
      return c.length === 2 ? c : null;
    });
    if (!cells) return `cells ${JSON.stringify(await cellRoles(page))}`;
    for (const c of cells) {
      if (c.role !== 'leader') return `role ${JSON.stringify(c)}`;
      if (!/3 rows/.test(c.text)) return `text ${c.text}`;
      if (!/0 SST\(s\)/.test(c.text)) return `text ${c.text}`;
    }
  });

  await rep.check(page, 'table view: Flush runs ADMIN FLUSH_TABLE and the grid then shows SST files', 'table-flushed', async () => {
    await page.click('#btn-flush');
    const msg = await waitFor(async () => {
      const t = await page.textContent('#admin-result');
      return /->|failed/.test(t) ? t : null;
    });
    if (!msg || !/ADMIN FLUSH_TABLE\('cpu'\) -> 0/.test(msg)) return `result: ${msg}`;
    const flushed = await waitFor(async () => {
      const c = await cellRoles(page);
      return c.length === 2 && c.every((x) => /1 SST\(s\)/.test(x.text));
    });
    if (!flushed) return JSON.stringify(await cellRoles(page));
    const r = await sql(base, 'SELECT count(*) FROM cpu');
    if (r.output[0].records.rows[0][0] !== 6) return `rows after flush ${JSON.stringify(r)}`;
  });

  await rep.check(page, 'table view: Add follower in standalone shows the server\'s error and the page keeps working', 'table-add-follower-error', async () => {
    await page.click('#btn-add-follower');
    const msg = await waitFor(async () => {
      const t = await page.textContent('#admin-result');
      return /failed/.test(t) ? t : null;
    });
    if (!msg || !/standalone/.test(msg)) return `result: ${msg}`;
    await page.click('#btn-compact');
    const ok = await waitFor(async () => /COMPACT_TABLE\('cpu'\) -> 0/.test(await page.textContent('#admin-result')));
    if (!ok) return await page.textContent('#admin-result');
  });

  // The renderer for followers, lag and dead datanodes, with the cluster
  // endpoints' answers replaced (page.route) by a 3-datanode cluster's, as
  // documented in the README; the real thing is tests/console/cluster.mjs.
  await rep.check(page, 'table + cluster views render followers with lag, and dead datanodes (mocked 3-datanode answers)', 'mock-cluster-end', async () => {
    const rid0 = 1024 * 4294967296, rid1 = rid0 + 1;
    const node = (type, id, alive, status) => ({ peer_id: id, peer_type: type, peer_addr: `127.0.0.1:${3100 + id}`,
      uptime: '5s', node_status: status, version: '0.1.0', alive,
      leader_regions: type === 'DATANODE' ? 1 : null, follower_regions: type === 'DATANODE' ? 1 : null });
    let nodes = [node('METASRV', 0, true, 'Alive'), node('DATANODE', 0, true, 'Alive'),
      node('DATANODE', 1, true, 'Alive'), node('DATANODE', 2, false, 'Dead'), node('FRONTEND', 0, true, 'Alive')];
    const stats = (rows, n) => ({ region_rows: rows, sst_num: n, sst_size: 2048 * n, region_role: 'Leader' });
    const rep0 = { versions_behind: 2, ms_since_sync: 345, installed_manifest_version: 3, leader_manifest_version: 5, reads_served: 9, role: 'follower' };
    const regions = { schema: 'public', table: 'foo', table_id: 1024, replicas_available: true, regions: [
      { region_id: rid0, region_number: 0, stats: stats(10, 1), peers: [
        { peer_id: 0, peer_addr: 'a', role: 'leader', status: 'ALIVE', down_seconds: null, stats: stats(10, 1), replica: null },
        { peer_id: 1, peer_addr: 'b', role: 'follower', status: null, down_seconds: null, stats: null, replica: rep0 }] },
      { region_id: rid1, region_number: 1, stats: stats(20, 2), peers: [
        { peer_id: 1, peer_addr: 'b', role: 'leader', status: 'ALIVE', down_seconds: null, stats: stats(20, 2), replica: null },
        { peer_id: 2, peer_addr: 'c', role: 'follower', status: null, down_seconds: 4, stats: null,
          replica: { ...rep0, versions_behind: 0, ms_since_sync: 12 } }] }] };
    await page.route('**/v1/cluster/nodes', (r) => r.fulfill({ json: { nodes } }));
    await page.route('**/v1/cluster/lag', (r) => r.fulfill({ json: { replicas: [rep0], max_versions_behind: 2, max_ms_since_sync: 345 } }));
    await page.route('**/v1/cluster/tables/public/foo/regions', (r) => r.fulfill({ json: regions }));
    let removed = null;
    await page.route('**/v1/sql', async (r) => {
      const body = decodeURIComponent((r.request().postData() || '').replace(/\+/g, ' '));
      if (/REMOVE_REGION_FOLLOWER/.test(body)) {
        removed = body;
        return r.fulfill({ json: { output: [{ records: { schema: { column_schemas: [{ name: 'x', data_type: 'UInt64' }] }, rows: [[0]], total_rows: 1 } }], execution_time_ms: 1 } });
      }
      return r.fallback();
    });
    try {
      await page.goto('about:blank'); // a fresh document: nodes seen earlier are forgotten
      await page.goto(`${base}/dashboard/#/table/public.foo`);
      const cells = await waitFor(async () => {
        const c = await cellRoles(page);
        return c.length === 6 ? c : null;
      });
      if (!cells) return JSON.stringify(await cellRoles(page));
      const at = (region, peer) => cells.find((c) => Number(c.region) === region && c.peer === peer);
      if (at(rid0, 0).role !== 'leader' || at(rid0, 1).role !== 'follower' || at(rid0, 2).role !== 'none')
        return JSON.stringify(cells);
      if (!/2 version\(s\) behind/.test(at(rid0, 1).text) || !/345 ms since sync/.test(at(rid0, 1).text) ||
        !/9 reads served/.test(at(rid0, 1).text)) return at(rid0, 1).text;
      if (!/10 rows/.test(at(rid0, 0).text) || !/1 SST\(s\), 2.0 KiB/.test(at(rid0, 0).text)) return at(rid0, 0).text;
      if (!/down 4 s/.test(at(rid1, 2).text)) return at(rid1, 2).text;
      if (!(await page.$('#region-grid th.dead[data-peer-id="2"]'))) return 'dead datanode column not marked';
      if (!(await page.$('#region-grid td.cell.follower.behind[data-peer-id="1"]'))) return 'lagging follower not marked';
      await rep.shot(page, 'mock-cluster-grid');
      await page.click('#region-grid tr[data-region-id="' + rid0 + '"] td[data-peer-id="1"] button.mini');
      const done = await waitFor(async () => /REMOVE_REGION_FOLLOWER\(4398046511104, 1\) -> 0/.test(await page.textContent('#admin-result')));
      if (!done || !/ADMIN REMOVE_REGION_FOLLOWER\(4398046511104, 1\)/.test(removed || '')) return `remove: ${removed} ${await page.textContent('#admin-result')}`;
      // an empty cell on a live datanode offers ADD_REGION_FOLLOWER; a dead one does not
      if (!(await page.$('#region-grid tr[data-region-id="' + rid1 + '"] td[data-peer-id="0"] button.add'))) return 'no add button';
      if (await page.$('#region-grid tr[data-region-id="' + rid0 + '"] td[data-peer-id="2"] button.add')) return 'add button on a dead datanode';
      await page.goto(`${base}/dashboard/#/cluster`);
      const rows = await waitFor(async () => {
        const r = await page.$$('#nodes-table tbody tr');
        return r.length === 5 ? r : null;
      });
      if (!rows) return 'cluster view rows';
      if (!(await page.$('#nodes-table tbody tr.dead[data-peer-type="DATANODE"][data-peer-id="2"] .badge.dead'))) return 'dead node not highlighted';
      if ((await page.$$('#nodes-table tbody tr.dead')).length !== 1) return 'only datanode 2 is dead';
      if (!/worst lag 2 manifest version\(s\) behind, 345 ms/.test(await page.textContent('#lag-summary'))) return await page.textContent('#lag-summary');
      // a node that disappears from cluster_info stays listed, as dead
      nodes = nodes.filter((n) => !(n.peer_type === 'DATANODE' && n.peer_id === 1));
      const gone = await waitFor(() => page.$('#nodes-table tbody tr.dead[data-peer-type="DATANODE"][data-peer-id="1"]'), 6000);
      if (!gone) return 'vanished node not shown as dead';
      await rep.shot(page, 'mock-cluster-view');
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });

  await rep.check(page, 'query view: the peer of each region is read from EXPLAIN ANALYZE lines (mocked cluster plan)', 'mock-explain-peers', async () => {
    const rid0 = 1024 * 4294967296, rid1 = rid0 + 1;
    const recs = (cols, rows) => ({ output: [{ records: { schema: { column_schemas: cols.map(([name, data_type]) => ({ name, data_type })) }, rows, total_rows: rows.length } }], execution_time_ms: 1 });
    await page.route('**/v1/sql', async (r) => {
      const body = decodeURIComponent((r.request().postData() || '').replace(/\+/g, ' '));
      if (/sql=EXPLAIN ANALYZE/.test(body))
        return r.fulfill({ json: recs([['stage', 'UInt32'], ['node', 'UInt32'], ['plan', 'String']], [
          [0, 0, 'MergeScanExec: peers=2 metrics=[output_rows: 4]\n'],
          [1, 0, `SeqScan: region=${rid0}(1024, 0), peer=1, "partition_count":{"count":1}\n`],
          [1, 1, `SeqScan: region=${rid1}(1024, 1), peer_id: 2 follower, "partition_count":{"count":1}\n`],
          [null, null, 'Total rows: 4']]) });
      if (/region_peers/.test(body))
        return r.fulfill({ json: recs([['region_id', 'UInt64'], ['peer_id', 'UInt64'], ['is_leader', 'String']],
          [[rid0, 0, 'Yes'], [rid0, 1, 'No'], [rid1, 1, 'Yes'], [rid1, 2, 'No']]) });
      return r.fallback();
    });
    try {
      await runSql(page, 'SELECT * FROM cpu', { ...opts, peers: true, readPreference: 'follower_preferred' });
      const rows = await page.$$eval('#query-peers tbody tr', (trs) => trs.map((t) => [t.dataset.regionId,
        t.querySelector('td.peer').textContent, t.querySelector('td.role').textContent]));
      const want = JSON.stringify([[String(rid0), '1', 'follower'], [String(rid1), '2', 'follower']]);
      if (JSON.stringify(rows) !== want) return JSON.stringify(rows);
      if ((await page.$$('#results table tbody tr')).length !== 6) return 'query rows missing';
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });

  await rep.check(page, 'no request left the server and no script error happened', null, async () => {
    if (external.length) return `external: ${external.join(' ')}`;
    if (pageErrors.length) return `page errors: ${pageErrors.join('\n')}`;
  });
} finally {
  await browser.close();
}
process.exit(rep.failed ? 1 : 0);
