/*
 * WireJdbc: JDBC round trips against wire_test_server (PgJDBC and MariaDB
 * Connector/J). Prints "ok - ..." / "not ok - ..." lines; the suite numbers them.
 *   java -cp DRIVER.jar:. WireJdbc pg|mysql URL
 */
import java.sql.*;
import java.util.*;

public class WireJdbc {
	static int failures = 0;

	static void check(boolean ok, String what, Object detail) {
		System.out.println((ok ? "ok - " : "not ok - ") + what + (ok ? "" : " # got " + detail));
		if (!ok) failures++;
	}

	static void roundTrip(Connection c, String kind) throws SQLException {
		String key = "jdbc-" + kind + "-" + System.nanoTime();
		try (PreparedStatement ins = c.prepareStatement("INSERT INTO kv VALUES (?, ?, ?, ?)")) {
			for (int i = 0; i < 8; i++) {
				ins.setString(1, key);
				if (i == 3) ins.setNull(2, Types.DOUBLE); else ins.setDouble(2, i + 0.25);
				ins.setLong(3, 1700000000000L + i);
				ins.setLong(4, i == 7 ? Long.MIN_VALUE : i);
				int n = ins.executeUpdate();
				if (n != 1) { check(false, kind + " insert " + i + " affected 1", n); return; }
			}
		}
		check(true, kind + " 8 prepared inserts (statement reused past prepareThreshold)", null);
		try (PreparedStatement q = c.prepareStatement("SELECT * FROM kv WHERE k = ?")) {
			for (int rep = 0; rep < 7; rep++) {
				q.setString(1, key);
				try (ResultSet rs = q.executeQuery()) {
					int n = 0;
					boolean good = true;
					while (rs.next()) {
						good &= key.equals(rs.getString(1));
						double v = rs.getDouble(2);
						boolean vnull = rs.wasNull();
						good &= n == 3 ? vnull : (!vnull && v == n + 0.25);
						Timestamp ts = rs.getTimestamp(3);
						good &= ts != null && ts.getTime() == 1700000000000L + n;
						long nn = rs.getLong(4);
						good &= nn == (n == 7 ? Long.MIN_VALUE : n);
						n++;
					}
					if (!good || n != 8) {
						check(false, kind + " prepared select repetition " + rep, "rows=" + n + " good=" + good);
						return;
					}
				}
			}
		}
		check(true, kind + " prepared select repeated 7 times returns exact values", null);
		try (PreparedStatement q = c.prepareStatement("SELECT ?, ?, ?, ?, ?")) {
			q.setString(1, "it's a \\ \"test\" é");
			q.setLong(2, 9007199254740993L);
			q.setDouble(3, 0.1);
			q.setBoolean(4, true);
			q.setNull(5, Types.VARCHAR);
			try (ResultSet rs = q.executeQuery()) {
				rs.next();
				String s = rs.getString(1);
				long l = rs.getLong(2);
				double d = rs.getDouble(3);
				boolean b = rs.getBoolean(4);
				String nul = rs.getString(5);
				check("it's a \\ \"test\" é".equals(s) && l == 9007199254740993L && d == 0.1 && b && nul == null,
				      kind + " parameter literals echo exactly", s + "|" + l + "|" + d + "|" + b + "|" + nul);
			}
		}
		try (Statement st = c.createStatement()) {
			try (ResultSet rs = st.executeQuery("SELECT * FROM types")) {
				rs.next();
				boolean good = rs.getLong("i64") == Long.MIN_VALUE && rs.getString("s").equals("héllo, 'world'")
					&& rs.getDouble("f64") == 0.1 && rs.getInt("i32") == -2000000000
					&& rs.getTimestamp("ts_ms").getTime() == 1L && rs.getDate("d").toString().equals("2024-01-01");
				rs.next();
				rs.getLong("i64");
				good &= rs.wasNull();
				check(good, kind + " statement select of every type", null);
			}
			try {
				st.executeQuery("SELECT * FROM missing");
				check(false, kind + " missing table raises", "no exception");
			} catch (SQLException e) {
				String want = kind.equals("pg") ? "42P01" : "42S02";
				check(want.equals(e.getSQLState()) && e.getMessage().contains("Table not found"),
				      kind + " missing table raises " + want, e.getSQLState() + " " + e.getMessage());
			}
			try (PreparedStatement ps = c.prepareStatement("SELECT * FROM types")) {
				boolean good = true;
				for (int rep = 0; rep < 7; rep++) { /* from the 5th: named statement, binary results */
					try (ResultSet rs = ps.executeQuery()) {
						rs.next();
						good &= rs.getBigDecimal("u64").toString().equals("18446744073709551615");
						good &= rs.getLong("u32") == 4294967295L && rs.getInt("i16") == -16000;
						good &= rs.getTimestamp("ts_us").getTime() == 1700000000123L;
						good &= rs.getTimestamp("ts_us").getNanos() == 123456000;
						good &= rs.getFloat("f32") == 0.1f && rs.getBoolean("b");
						good &= java.util.Arrays.equals(rs.getBytes("bin"), new byte[] {0, 1, (byte) 0xfe, (byte) 0xff});
						rs.next();
						rs.getBigDecimal("u64");
						good &= rs.wasNull();
						rs.next();
						good &= rs.getDate("d").toString().equals("1969-12-31") && rs.getDouble("f64") == 1e20;
						good &= rs.getTimestamp("ts_ns").getTime() == -1L;
					}
				}
				check(good, kind + " prepared select of every type, repeated (binary results)", null);
			}
			try (ResultSet rs = st.executeQuery("SELECT big(1000)")) {
				int n = 0;
				while (rs.next()) n++;
				check(n == 1000, kind + " 1000-row result", n);
			}
		}
	}

	public static void main(String[] a) throws Exception {
		String kind = a[0];
		List<String> urls = new ArrayList<>();
		for (int i = 1; i < a.length; i++) urls.add(a[i]);
		for (String url : urls) {
			String label = kind + (url.contains("useServerPrepStmts=true") ? "-server-prep" : "");
			try (Connection c = DriverManager.getConnection(url, "alice", "secret")) {
				roundTrip(c, label);
				if (kind.equals("pg")) {
					c.setAutoCommit(false);
					try (Statement st = c.createStatement()) {
						st.executeQuery("SELECT 1").close();
					}
					c.commit();
					c.setAutoCommit(true);
					check(true, label + " transaction commit", null);
					try (PreparedStatement ps = c.prepareStatement("SELECT big(?)")) {
						ps.setFetchSize(10);
						c.setAutoCommit(false);
						ps.setLong(1, 95);
						try (ResultSet rs = ps.executeQuery()) {
							int n = 0;
							while (rs.next()) n++;
							check(n == 95, label + " fetch size 10 pages through portal (PortalSuspended)", n);
						}
						c.commit();
						c.setAutoCommit(true);
					}
				}
			} catch (SQLException e) {
				check(false, label + " connection works", e);
			}
		}
		System.exit(failures == 0 ? 0 : 1);
	}
}
