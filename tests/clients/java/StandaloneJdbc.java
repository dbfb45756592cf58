/*
 * StandaloneJdbc: JDBC round trips against `strata standalone start`
 * (PgJDBC and MariaDB Connector/J): CREATE TABLE, prepared INSERTs with
 * timestamps, doubles, strings and NULLs, SELECT of the exact values,
 * errors that leave the connection usable, DROP TABLE.
 * Prints "ok - ..." / "not ok - ..." lines; the suite numbers them.
 *   java -cp DRIVER.jar:. StandaloneJdbc NAME URL
 */
import java.sql.*;

public class StandaloneJdbc {
	static int failures = 0;

	static void check(boolean ok, String what, Object detail) {
		System.out.println((ok ? "ok - " : "not ok - ") + what + (ok ? "" : " # got " + detail));
		if (!ok) failures++;
	}

	static final long[] TS = {1704164645123L, 0L, 2147483648999L};
	static final Double[] V = {0.1, -1.5e300, null};
	static final String[] S = {"hello", "it's \"quoted\" ü", null};
	static final Long[] N = {7L, null, Long.MIN_VALUE};

	public static void main(String[] args) throws Exception {
		String name = args[0], url = args[1];
		String table = "jdbc_" + name.replaceAll("[^a-z0-9]", "_");
		try (Connection c = DriverManager.getConnection(url, "root", "")) {
			try (Statement st = c.createStatement()) {
				st.execute("DROP TABLE IF EXISTS " + table);
				st.execute("CREATE TABLE " + table + " (host STRING PRIMARY KEY, ts TIMESTAMP(3) TIME INDEX, "
					+ "v DOUBLE, s STRING, n BIGINT)");
			}
			check(true, name + ": CREATE TABLE", null);
			int affected = 0;
			try (PreparedStatement ins = c.prepareStatement(
					"INSERT INTO " + table + " (host, ts, v, s, n) VALUES (?, ?, ?, ?, ?)")) {
				for (int i = 0; i < 3; i++) {
					ins.setString(1, "h" + (i + 1));
					ins.setTimestamp(2, new Timestamp(TS[i]));
					if (V[i] == null) ins.setNull(3, Types.DOUBLE); else ins.setDouble(3, V[i]);
					if (S[i] == null) ins.setNull(4, Types.VARCHAR); else ins.setString(4, S[i]);
					if (N[i] == null) ins.setNull(5, Types.BIGINT); else ins.setLong(5, N[i]);
					affected += ins.executeUpdate();
				}
			}
			check(affected == 3, name + ": 3 prepared INSERTs", affected);
			try (Statement st = c.createStatement();
			     ResultSet rs = st.executeQuery("SELECT host, ts, v, s, n FROM " + table + " ORDER BY host")) {
				int i = 0;
				StringBuilder bad = new StringBuilder();
				while (rs.next()) {
					boolean good = ("h" + (i + 1)).equals(rs.getString(1));
					Timestamp ts = rs.getTimestamp(2);
					good &= ts != null && ts.getTime() == TS[i];
					double v = rs.getDouble(3);
					good &= V[i] == null ? rs.wasNull() : (!rs.wasNull() && v == V[i]);
					String s = rs.getString(4);
					good &= S[i] == null ? s == null : S[i].equals(s);
					long n = rs.getLong(5);
					good &= N[i] == null ? rs.wasNull() : (!rs.wasNull() && n == N[i]);
					if (!good)
						bad.append("row ").append(i).append(": ").append(rs.getString(1)).append('|')
							.append(ts == null ? "null" : ts.getTime()).append('|').append(v).append('|')
							.append(s).append('|').append(n).append("; ");
					i++;
				}
				check(i == 3 && bad.length() == 0, name + ": SELECT returns the exact values", i + " rows " + bad);
			}
			try (PreparedStatement q = c.prepareStatement("SELECT s FROM " + table + " WHERE host = ?")) {
				q.setString(1, "h2");
				try (ResultSet rs = q.executeQuery()) {
					boolean ok = rs.next() && S[1].equals(rs.getString(1)) && !rs.next();
					check(ok, name + ": prepared SELECT with a string parameter", null);
				}
			}
			String[] badSql = {"SELECT (1", "SELECT * FROM no_such_table",
				"INSERT INTO " + table + " (host, ts, n) VALUES ('x', 1, 'abc')"};
			for (String sql : badSql) {
				try (Statement st = c.createStatement()) {
					st.execute(sql);
					check(false, name + ": error for " + sql, "no error");
				} catch (SQLException e) {
					check(e.getMessage() != null && !e.getMessage().isEmpty(),
					      name + ": clear error for " + sql, e.getMessage());
				}
			}
			try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
				check(rs.next() && rs.getInt(1) == 1, name + ": connection still serves after errors", null);
			}
			try (Statement st = c.createStatement()) {
				st.execute("DROP TABLE " + table);
			}
			check(true, name + ": DROP TABLE", null);
		} catch (SQLException e) {
			check(false, name + ": JDBC session", e);
		}
		System.exit(failures == 0 ? 0 : 1);
	}
}
