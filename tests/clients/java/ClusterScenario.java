/*
 * ClusterScenario: the read-replica feature description's scenario over
 * JDBC (PgJDBC or MariaDB Connector/J) against a fresh `strata cluster
 * start --datanodes 3`: CREATE TABLE foo (2-way partition; a one-region
 * table first, so foo is table 1025 as in the feature text), region_peers,
 * ADD_TABLE_FOLLOWER('foo', '0,1,2'), INSERT 3 rows, SET
 * READ_PREFERENCE='follower', SELECT * FROM foo ORDER BY ts at once, the
 * proof that followers served (EXPLAIN ANALYZE and
 * region_replicas.reads_served), and the 'follower' error on a table
 * without followers.
 * Prints "ok - ..." / "not ok - ..." lines; the suite numbers them.
 *   java -cp DRIVER.jar:. ClusterScenario NAME URL
 */
import java.sql.*;
import java.util.*;

public class ClusterScenario {
	static int failures = 0;

	static void check(boolean ok, String what, Object detail) {
		System.out.println((ok ? "ok - " : "not ok - ") + what + (ok ? "" : " # got " + detail));
		if (!ok) failures++;
	}

	/* Every row as "a|b|c", rows joined by newlines. */
	static String rows(Statement st, String sql) throws SQLException {
		StringBuilder b = new StringBuilder();
		boolean isRs = st.execute(sql);
		if (!isRs) return "";
		try (ResultSet rs = st.getResultSet()) {
			int n = rs.getMetaData().getColumnCount();
			while (rs.next()) {
				if (b.length() > 0) b.append('\n');
				for (int i = 1; i <= n; i++) {
					if (i > 1) b.append('|');
					b.append(rs.getString(i));
				}
			}
		}
		return b.toString();
	}

	public static void main(String[] args) throws Exception {
		String name = args[0], url = args[1];
		String peers = "SELECT table_name, region_id, peer_id, is_leader FROM information_schema.region_peers "
			+ "WHERE table_name = 'foo'";
		try (Connection c = DriverManager.getConnection(url, "root", "");
		     Statement st = c.createStatement()) {
			st.execute("CREATE TABLE warmup (ts TIMESTAMP TIME INDEX, v DOUBLE)");
			st.execute("CREATE TABLE foo (\nts TIMESTAMP TIME INDEX,\ni INT PRIMARY KEY,\ns STRING,\n"
				+ ") PARTITION ON COLUMNS ('i') (\ni <= 0,\ni > 0,\n)");
			check(true, name + ": CREATE TABLE foo", null);
			String got = rows(st, peers);
			check(got.equals("foo|4402341478400|1|Yes\nfoo|4402341478401|2|Yes"),
				name + ": region_peers shows 2 leaders on datanodes 1 and 2", got);
			got = rows(st, "ADMIN ADD_TABLE_FOLLOWER('foo', '0,1,2')");
			check(got.equals("0"), name + ": ADMIN ADD_TABLE_FOLLOWER('foo', '0,1,2')", got);
			got = rows(st, peers);
			check(got.equals("foo|4402341478400|1|Yes\nfoo|4402341478400|0|No\n"
				+ "foo|4402341478401|2|Yes\nfoo|4402341478401|1|No"),
				name + ": followers on datanodes 0 and 1 as in the feature text", got);
			int affected = st.executeUpdate("INSERT INTO foo (ts, i, s)\nVALUES (1, -1, 's1'), (2, 0, 's2'), (3, 1, 's3')");
			check(affected == 3, name + ": INSERT 3 rows", affected);
			st.execute("SET READ_PREFERENCE='follower'");
			StringBuilder b = new StringBuilder();
			try (ResultSet rs = st.executeQuery("SELECT * FROM foo ORDER BY ts")) {
				while (rs.next()) {
					b.append(rs.getTimestamp(1).getTime()).append('|').append(rs.getInt(2)).append('|')
						.append(rs.getString(3)).append('\n');
				}
			}
			check(b.toString().equals("1|-1|s1\n2|0|s2\n3|1|s3\n"),
				name + ": READ_PREFERENCE='follower': SELECT * FROM foo ORDER BY ts returns the 3 rows at once", b);
			got = rows(st, "EXPLAIN ANALYZE SELECT * FROM foo ORDER BY ts");
			check(got.contains("region=4402341478400(1025, 0), peer=0 (follower)")
				&& got.contains("region=4402341478401(1025, 1), peer=1 (follower)"),
				name + ": EXPLAIN ANALYZE names the followers that served", got);
			got = rows(st, "SELECT region_id, peer_id, role, reads_served > 0 FROM information_schema.region_replicas "
				+ "WHERE table_name = 'foo' ORDER BY region_id, role, peer_id");
			check(got.replace("true", "1").replace("false", "0").replace("|t", "|1").replace("|f", "|0")
				.equals("4402341478400|0|Follower|1\n4402341478400|1|Leader|0\n"
				+ "4402341478401|1|Follower|1\n4402341478401|2|Leader|0"),
				name + ": region_replicas.reads_served: only followers served", got);
			try {
				rows(st, "SELECT * FROM warmup");
				check(false, name + ": 'follower' on a table without followers fails", "no error");
			} catch (SQLException e) {
				check(e.getMessage().contains(
					"Failed to find region peer for region id 4398046511104(1024, 0), read preference: FOLLOWER"),
					name + ": 'follower' on a table without followers names the region", e.getMessage());
			}
			st.execute("SET READ_PREFERENCE='leader'");
			got = rows(st, "SELECT count(*) FROM foo");
			check(got.equals("3"), name + ": the connection is still usable after the error", got);
		}
		System.exit(failures == 0 ? 0 : 1);
	}
}
