package lakehouse.sqlguard;

import org.apache.spark.sql.SparkSessionExtensions;

import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * `spark.sql.extensions` entry that wraps the session's parser (Delta's, when listed after
 * Delta's extension) in a {@link GuardedParser}; every session the server opens gets one.
 */
public final class GuardExtension extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectParser(new AbstractFunction2<>() {
      @Override
      public org.apache.spark.sql.catalyst.parser.ParserInterface apply(
          org.apache.spark.sql.SparkSession session,
          org.apache.spark.sql.catalyst.parser.ParserInterface parser) {
        return new GuardedParser(parser);
      }
    });
    return BoxedUnit.UNIT;
  }
}
