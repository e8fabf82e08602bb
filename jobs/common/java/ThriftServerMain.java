package lakehouse.sqlguard;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.apache.hive.service.server.HiveServer2;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;

/**
 * Starts Spark's Thrift server after registering the lakehouse tables in the same session, then
 * locks the {@link GuardedParser}: registration needs CREATE, clients get read-only statements.
 *
 * <p>Arguments: {@code --startup-sql FILE} (statements separated by lines holding only ";"),
 * {@code --read-only}, then Hive's own {@code --hiveconf key=value} options.
 */
public final class ThriftServerMain {
  private ThriftServerMain() {}

  public static void main(String[] args) throws Exception {
    String startupSql = null;
    boolean readOnly = false;
    List<String> hiveArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--startup-sql")) {
        startupSql = args[++i];
      } else if (args[i].equals("--read-only")) {
        readOnly = true;
      } else {
        hiveArgs.add(args[i]);
      }
    }
    // As HiveThriftServer2.main: --hiveconf entries become system properties, which every
    // HiveConf (the authentication providers' included) reads.
    new HiveServer2.ServerOptionsProcessor("lakehouse-sql-server").parse(hiveArgs.toArray(new String[0]));
    SparkSession spark = SparkSession.builder().getOrCreate();
    // As SparkSQLEnv does for Thrift clients: dates and timestamps as java.time values.
    spark.conf().set("spark.sql.datetime.java8API.enabled", "true");
    if (startupSql != null) {
      String script = Files.readString(Paths.get(startupSql), StandardCharsets.UTF_8);
      for (String statement : script.split("\n;\n")) {
        if (!statement.isBlank()) spark.sql(statement);
      }
    }
    ReadOnlyGuard.lock();
    if (readOnly) requireGuard(spark);
    HiveThriftServer2.startWithSparkSession(spark, true);
  }

  /** Fails the start when the read-only parser is not in the session (extension not loaded). */
  private static void requireGuard(SparkSession spark) throws Exception {
    try {
      spark.sessionState().sqlParser().parsePlan("SET lakehouse.sqlguard.selftest=1");
    } catch (SecurityException expected) {
      return;
    }
    throw new IllegalStateException("read-only mode requested but " + GuardExtension.class.getName()
        + " is not in spark.sql.extensions; refusing to start");
  }
}
