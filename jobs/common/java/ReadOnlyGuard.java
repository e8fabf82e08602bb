package lakehouse.sqlguard;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.analysis.UnresolvedTableValuedFunction;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.trees.TreeNode;
import org.apache.spark.sql.execution.command.DescribeQueryCommand;
import org.apache.spark.sql.execution.command.ExplainCommand;
import org.apache.spark.sql.execution.command.SetCommand;
import org.apache.spark.sql.execution.datasources.DataSource;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.internal.VariableSubstitution;

import scala.jdk.javaapi.CollectionConverters;

/**
 * Decides whether a SQL statement is read-only, from its PARSED plan (never from its text): an
 * allow-list of query operators and of SHOW / DESCRIBE / EXPLAIN / USE / SET-without-a-value,
 * with every table name, function and subquery inside checked as well. Anything the list does
 * not name (a write, DDL, a procedure, a script, EXECUTE IMMEDIATE, a node a later Spark adds)
 * is refused, so a new statement kind fails closed.
 */
public final class ReadOnlyGuard {
  private static final String LOGICAL = "org.apache.spark.sql.catalyst.plans.logical.";
  private static final String ANALYSIS = "org.apache.spark.sql.catalyst.analysis.";
  private static final String COMMAND = "org.apache.spark.sql.execution.command.";

  /** Operators a SELECT / WITH / VALUES / TABLE / FROM-pipe query parses into. */
  private static final Set<String> QUERY_NODES = Set.of(
      "Project", "Filter", "Aggregate", "Join", "LateralJoin", "Sort", "GlobalLimit", "LocalLimit",
      "Offset", "Tail", "Union", "Intersect", "Except", "Distinct", "Deduplicate", "Window",
      "WithWindowDefinition", "Generate", "SubqueryAlias", "OneRowRelation", "LocalRelation",
      "EmptyRelation", "UnresolvedWith", "CTERelationDef", "CTERelationRef", "WithCTE",
      "UnionLoop", "UnionLoopRef", "UnresolvedHint", "Pivot", "Unpivot", "Transpose", "Sample",
      "Repartition", "RepartitionByExpression", "RebalancePartitions", "Range", "Expand")
      .stream().map(name -> LOGICAL + name).collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** SQL pipe syntax (`FROM t |> WHERE ...`); its operands are walked like any other. */
  private static final String PIPE = "org.apache.spark.sql.catalyst.expressions.PipeOperator";

  /** Leaves and wrappers of the analysis package; relation names in them are checked below. */
  private static final Set<String> UNRESOLVED_NODES = Set.of(
      "UnresolvedRelation", "UnresolvedInlineTable", "ResolvedInlineTable", "UnresolvedHaving",
      "UnresolvedTableValuedFunction", "UnresolvedTVFAliases", "RelationTimeTravel",
      "UnresolvedSubqueryColumnAliases", "UnresolvedTranspose", "NameParameterizedQuery",
      "PosParameterizedQuery", "UnresolvedTableOrView", "UnresolvedTable", "UnresolvedView",
      "UnresolvedNamespace", "UnresolvedFunctionName", "CurrentNamespace$")
      .stream().map(name -> ANALYSIS + name).collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** Statements that only read the catalog or describe a plan. */
  private static final Set<String> READ_COMMANDS = Set.of(
      LOGICAL + "ShowTables", LOGICAL + "ShowTablesExtended", LOGICAL + "ShowViews",
      LOGICAL + "ShowColumns", LOGICAL + "ShowFunctions", LOGICAL + "ShowNamespaces",
      LOGICAL + "ShowPartitions", LOGICAL + "ShowTablePartition", LOGICAL + "ShowTableProperties",
      LOGICAL + "ShowCreateTable", LOGICAL + "DescribeRelation", LOGICAL + "DescribeColumn",
      LOGICAL + "DescribeNamespace", LOGICAL + "DescribeFunction", LOGICAL + "SetCatalogAndNamespace",
      COMMAND + "ShowCatalogsCommand", COMMAND + "ShowCurrentNamespaceCommand",
      COMMAND + "DescribeQueryCommand", COMMAND + "ExplainCommand", COMMAND + "SetCommand");

  /** reflect() and its aliases call any static Java method with the server's rights. */
  private static final Set<String> REFUSED_FUNCTIONS = Set.of("reflect", "java_method", "try_reflect");

  /** The SQL verb of common writes, for a message the user recognises. */
  private static final Map<String, String> WRITE_VERBS = Map.ofEntries(
      Map.entry("DeleteFromTable", "DELETE"), Map.entry("UpdateTable", "UPDATE"),
      Map.entry("MergeIntoTable", "MERGE"), Map.entry("InsertIntoStatement", "INSERT"),
      Map.entry("InsertIntoDir", "INSERT OVERWRITE DIRECTORY"), Map.entry("CreateTable", "CREATE TABLE"),
      Map.entry("CreateTableAsSelect", "CREATE TABLE AS SELECT"), Map.entry("CreateView", "CREATE VIEW"),
      Map.entry("ReplaceTable", "REPLACE TABLE"), Map.entry("ReplaceTableAsSelect", "REPLACE TABLE"),
      Map.entry("DropTable", "DROP TABLE"), Map.entry("TruncateTable", "TRUNCATE"),
      Map.entry("SetCommand", "SET with a value"), Map.entry("CacheTableStatement", "CACHE TABLE"));

  /** Set once the server has registered its tables; from then on its parser refuses writes. */
  private static volatile boolean locked;

  private ReadOnlyGuard() {}

  public static void lock() {
    locked = true;
  }

  public static boolean isLocked() {
    return locked;
  }

  /** Why `sqlText` is not a read-only statement for `spark`, or null when it is. */
  public static String refusal(SparkSession spark, String sqlText) throws Exception {
    return refusal(sqlText, spark.sessionState().sqlParser().parsePlan(sqlText));
  }

  /** Why the statement `sqlText`, parsed as `plan`, is not read-only, or null when it is. */
  public static String refusal(String sqlText, LogicalPlan plan) {
    // ${env:...}, ${system:...} and ${spark:...} are substituted before parsing, and would
    // print the server's environment and settings (secrets included) into a result.
    if (!new VariableSubstitution().substitute(sqlText).equals(sqlText)) {
      return "${...} variable substitution reads the server's environment and settings";
    }
    return statementRefusal(plan);
  }

  private static String statementRefusal(LogicalPlan plan) {
    String kind = plan.getClass().getName();
    if (plan instanceof ExplainCommand explain) {
      return statementRefusal(explain.logicalPlan());
    }
    if (plan instanceof DescribeQueryCommand describe) {
      return statementRefusal(describe.plan());
    }
    if (plan instanceof SetCommand set && set.kv().isDefined() && set.kv().get()._2().isDefined()) {
      return writeRefusal(plan);
    }
    if (READ_COMMANDS.contains(kind)) {
      for (LogicalPlan child : list(plan.children())) {
        String refused = queryRefusal(child);
        if (refused != null) return refused;
      }
      return expressionsRefusal(plan);
    }
    return queryRefusal(plan);
  }

  /** Walks a query: its operators, their expressions, subqueries and CTE definitions. */
  private static String queryRefusal(LogicalPlan plan) {
    String kind = plan.getClass().getName();
    if (kind.equals(LOGICAL + "ScriptTransformation")) {
      return "TRANSFORM runs a program on the server";
    }
    if (!QUERY_NODES.contains(kind) && !UNRESOLVED_NODES.contains(kind) && !kind.equals(PIPE)) {
      return writeRefusal(plan);
    }
    String refused = identifierRefusal(plan);
    if (refused != null) return refused;
    refused = expressionsRefusal(plan);
    if (refused != null) return refused;
    for (LogicalPlan child : list(plan.children())) {
      refused = queryRefusal(child);
      if (refused != null) return refused;
    }
    for (TreeNode<?> inner : list(plan.innerChildren())) {
      if (inner instanceof LogicalPlan innerPlan) {
        refused = queryRefusal(innerPlan);
        if (refused != null) return refused;
      }
    }
    return null;
  }

  private static String expressionsRefusal(LogicalPlan plan) {
    for (Expression expression : list(plan.expressions())) {
      String refused = expressionRefusal(expression);
      if (refused != null) return refused;
    }
    return null;
  }

  private static String expressionRefusal(Expression expression) {
    if (expression instanceof UnresolvedFunction function) {
      String name = last(list(function.nameParts()));
      if (REFUSED_FUNCTIONS.contains(name)) {
        return name + "() calls Java methods on the server";
      }
    }
    if (expression instanceof SubqueryExpression subquery) {
      String refused = queryRefusal(subquery.plan());
      if (refused != null) return refused;
    }
    for (Expression child : list(expression.children())) {
      String refused = expressionRefusal(child);
      if (refused != null) return refused;
    }
    return null;
  }

  /** `text.`/etc/hostname``, `delta.`/path``: a data source name where a schema belongs. */
  @SuppressWarnings("unchecked")
  private static String identifierRefusal(LogicalPlan plan) {
    List<String> name;
    if (plan instanceof UnresolvedTableValuedFunction function) {
      String functionName = last(list(function.name()));
      if (REFUSED_FUNCTIONS.contains(functionName)) {
        return functionName + "() calls Java methods on the server";
      }
      return null;
    }
    if (plan instanceof UnresolvedRelation relation && !relation.options().isEmpty()) {
      // `t WITH ('path' = ...)` options reach the data source and could point it elsewhere.
      return "options on a table (WITH (...)) are not read-only";
    }
    try {
      Object parts = plan.getClass().getMethod("multipartIdentifier").invoke(plan);
      name = list((scala.collection.immutable.Seq<String>) parts);
    } catch (ReflectiveOperationException noIdentifier) {
      return null;
    }
    if (name.size() >= 2 && isDataSource(name.get(name.size() - 2))) {
      return "`" + String.join("`.`", name) + "` reads a file path, not a table";
    }
    return null;
  }

  private static boolean isDataSource(String name) {
    try {
      DataSource.lookupDataSource(name, SQLConf.get());
      return true;
    } catch (Throwable notASource) {
      return false;
    }
  }

  private static String writeRefusal(LogicalPlan plan) {
    String node = plan.nodeName();
    String verb = WRITE_VERBS.get(node);
    return (verb != null ? verb : node) + " is not a read-only statement";
  }

  private static String last(List<String> parts) {
    return parts.isEmpty() ? "" : parts.get(parts.size() - 1).toLowerCase(Locale.ROOT);
  }

  private static <T> List<T> list(scala.collection.Seq<T> seq) {
    return CollectionConverters.asJava(seq);
  }
}
