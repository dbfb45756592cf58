// cluster.mjs BASE_URL SCREENS_DIR CLUSTER_PID: browser tests of the console
// against `strata cluster start --datanodes 3 --heartbeat-interval-ms 200`
// (started by tests/suites/console.sh). Issue 7's scenario: the cluster view
// lists 3 datanodes; a partitioned table gets followers through the "Add
// follower" button and the grid shows them with their lag; a query with
// READ_PREFERENCE follower renders rows and a chart and names follower
// peers; a killed datanode turns dead in the view.
import { readdirSync, readFileSync } from 'node:fs';
import { launch, Reporter, waitFor, runSql, cellRoles, sql } from './lib.mjs';

const [base, screens, clusterPid] = process.argv.slice(2);
const rep = new Reporter(screens);
const { browser, page, external, pageErrors } = await launch();
const opts = { base };

// pid of the child of `strata cluster start` that runs datanode `id`
function datanodePid(id) {
  const kids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      if (ppid === String(clusterPid)) kids.push(d);
    } catch (e) { /* gone */ }
  }
  for (const k of kids) {
    let argv;
    try { argv = readFileSync(`/proc/${k}/cmdline`).toString().split('\0'); } catch (e) { continue; }
    const i = argv.indexOf('--node-id');
    if (argv.includes('datanode') && i >= 0 && argv[i + 1] === String(id)) return Number(k);
  }
  return null;
}

async function datanodeRows() {
  return page.$$eval('#nodes-table tbody tr[data-peer-type="DATANODE"]', (trs) =>
    trs.map((t) => ({ id: Number(t.dataset.peerId), alive: t.classList.contains('alive'),
      text: t.textContent })));
}

try {
  await rep.check(page, 'cluster: the cluster view lists 3 alive datanodes, a metasrv and a frontend', 'cluster-3-datanodes', async () => {
    await page.goto(`${base}/dashboard/#/cluster`);
    const dn = await waitFor(async () => {
      const r = await datanodeRows();
      return r.length === 3 && r.every((x) => x.alive) ? r : null;
    }, 30000);
    if (!dn) return `datanodes: ${JSON.stringify(await datanodeRows())}`;
    if (JSON.stringify(dn.map((x) => x.id).sort()) !== '[0,1,2]') return `ids ${JSON.stringify(dn)}`;
    const types = await page.$$eval('#nodes-table tbody tr', (trs) => trs.map((t) => t.dataset.peerType));
    if (!types.includes('METASRV') || !types.includes('FRONTEND')) return `types ${types}`;
  });

  await rep.check(page, 'cluster: CREATE a partitioned table and INSERT through the query view', 'cluster-create', async () => {
    await runSql(page, "CREATE TABLE foo (host STRING, ts TIMESTAMP TIME INDEX, cpu DOUBLE, PRIMARY KEY(host)) " +
      "PARTITION ON COLUMNS (host) (host < 'm', host >= 'm');\n" +
      "INSERT INTO foo VALUES ('alpha', '2024-01-01 00:00:00', 1), ('alpha', '2024-01-01 00:01:00', 2), " +
      "('zulu', '2024-01-01 00:00:00', 10), ('zulu', '2024-01-01 00:01:00', 11)", opts);
    if (!(await page.isHidden('#query-error'))) return await page.textContent('#query-error');
    if (!/4 row\(s\) affected/.test(await page.textContent('#results'))) return await page.textContent('#results');
  });

  await rep.check(page, 'cluster: the grid shows two regions led by two different datanodes', 'cluster-grid-leaders', async () => {
    await page.goto(`${base}/dashboard/#/table/public.foo`);
    const cells = await waitFor(async () => {
      const c = await cellRoles(page);
      return c.filter((x) => x.role === 'leader').length === 2 ? c : null;
    }, 15000);
    if (!cells) return JSON.stringify(await cellRoles(page));
    const leaders = cells.filter((x) => x.role === 'leader');
    if (leaders[0].peer === leaders[1].peer) return `same leader ${JSON.stringify(leaders)}`;
    if (cells.length !== 6) return `grid is not 2 x 3: ${cells.length} cells`;
  });

  let followers = [];
  await rep.check(page, 'cluster: "Add follower" adds one follower per region, shown with its lag', 'cluster-followers', async () => {
    await page.click('#btn-add-follower');
    const msg = await waitFor(async () => {
      const t = await page.textContent('#admin-result');
      return /->|failed/.test(t) ? t : null;
    }, 15000);
    if (!msg || /failed/.test(msg)) return `result: ${msg}`;
    const cells = await waitFor(async () => {
      const c = await cellRoles(page);
      const f = c.filter((x) => x.role === 'follower');
      return f.length === 2 && f.every((x) => /version\(s\) behind/.test(x.text) && /ms since sync/.test(x.text)) ? c : null;
    }, 15000);
    if (!cells) return JSON.stringify(await cellRoles(page));
    followers = cells.filter((x) => x.role === 'follower');
    for (const f of followers) {
      const lead = cells.find((x) => x.region === f.region && x.role === 'leader');
      if (!lead || lead.peer === f.peer) return `follower on its leader's datanode: ${JSON.stringify(cells)}`;
    }
  });

  await rep.check(page, 'cluster: READ_PREFERENCE follower query renders rows and a chart, served by followers', 'cluster-follower-query', async () => {
    await runSql(page, 'SELECT host, ts, cpu FROM foo ORDER BY host, ts', { ...opts, readPreference: 'follower', peers: true });
    if (!(await page.isHidden('#query-error'))) return await page.textContent('#query-error');
    const rows = await page.$$('#results table tbody tr');
    if (rows.length !== 4) return `rows ${rows.length}`;
    if ((await page.$$('#chart svg path.series')).length !== 2) return 'no chart';
    const peers = await page.$$eval('#query-peers tbody tr', (trs) =>
      trs.map((t) => ({ peer: t.querySelector('td.peer').textContent, role: t.querySelector('td.role').textContent })));
    if (peers.length !== 2) return `peers ${JSON.stringify(peers)}`;
    if (!peers.every((p) => /follower/i.test(p.role))) return `peers ${JSON.stringify(peers)}`;
  });

  await rep.check(page, 'cluster: "Remove follower" removes them from the grid', 'cluster-remove-follower', async () => {
    await page.goto(`${base}/dashboard/#/table/public.foo`);
    await waitFor(async () => (await cellRoles(page)).length === 6, 10000);
    await page.click('#btn-remove-follower');
    const gone = await waitFor(async () => {
      const c = await cellRoles(page);
      return c.length === 6 && c.filter((x) => x.role === 'follower').length === 0;
    }, 15000);
    if (!gone) return `${await page.textContent('#admin-result')} ${JSON.stringify(await cellRoles(page))}`;
    // put them back for the kill test
    await page.click('#btn-add-follower');
    const back = await waitFor(async () => (await cellRoles(page)).filter((x) => x.role === 'follower').length === 2, 15000);
    if (!back) return 'followers not re-added';
  });

  await rep.check(page, 'cluster: a killed datanode is shown dead in the cluster view within a few heartbeats', 'cluster-dead-node', async () => {
    // a datanode holding no leader of foo (a follower-only one if there
    // is one), so the table keeps its leaders and stays readable
    const cells = await cellRoles(page);
    const leaders = new Set(cells.filter((x) => x.role === 'leader').map((x) => x.peer));
    const f = cells.find((x) => x.role === 'follower' && !leaders.has(x.peer));
    const victim = f ? f.peer : [0, 1, 2].find((id) => !leaders.has(id));
    const pid = datanodePid(victim);
    if (!pid) return `no process for datanode ${victim}`;
    process.kill(pid, 'SIGKILL');
    await page.goto(`${base}/dashboard/#/cluster`);
    const dead = await waitFor(async () => {
      const r = await datanodeRows();
      const v = r.find((x) => x.id === victim);
      return v && !v.alive && r.filter((x) => x.alive).length === 2 ? r : null;
    }, 20000);
    if (!dead) return JSON.stringify(await datanodeRows());
    if (!(await page.$(`#nodes-table tbody tr.dead[data-peer-id="${victim}"] .badge.dead`))) return 'no dead badge';
    await page.goto(`${base}/dashboard/#/table/public.foo`);
    const th = await waitFor(() => page.$(`#region-grid th.dead[data-peer-id="${victim}"]`), 10000);
    if (!th) return 'grid does not mark the dead datanode';
  });

  await rep.check(page, 'cluster: bad input keeps the page working (unknown table, invalid ADMIN)', 'cluster-errors', async () => {
    await runSql(page, 'SELECT * FROM nope', opts);
    if (!/Table not found/.test(await page.textContent('#query-error'))) return await page.textContent('#query-error');
    await runSql(page, "ADMIN ADD_TABLE_FOLLOWER('nope')", opts);
    const err = await page.textContent('#query-error');
    if (!err || (await page.isHidden('#query-error'))) return 'no error for an unknown table';
    const r = await sql(base, 'SELECT count(*) FROM foo');
    if (!r.output || r.output[0].records.rows[0][0] !== 4) return JSON.stringify(r);
  });

  await rep.check(page, 'cluster: no request left the server and no script error happened', null, async () => {
    if (external.length) return `external: ${external.join(' ')}`;
    if (pageErrors.length) return `page errors: ${pageErrors.join('\n')}`;
  });
} finally {
  await browser.close();
}
process.exit(rep.failed ? 1 : 0);
