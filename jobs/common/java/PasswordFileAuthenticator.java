package lakehouse.sqlguard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.spec.KeySpec;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.security.sasl.AuthenticationException;

import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * Hive CUSTOM authentication against a file of {@code user:pbkdf2-sha256:iterations:salt:hash}
 * lines (hex salt and hash), written by {@code lakehouse-sql-server --add-user}. The file named by
 * the system property {@code lakehouse.sql.password_file} is read at each login, so users added
 * later need no restart. Neither the password nor its hash is ever logged.
 */
public final class PasswordFileAuthenticator implements PasswdAuthenticationProvider {
  public static final String FILE_PROPERTY = "lakehouse.sql.password_file";
  private static final String SCHEME = "pbkdf2-sha256";
  // Checked against when the user is unknown, so a login takes as long either way.
  private static final String UNKNOWN_USER = SCHEME + ":600000:" + "00".repeat(16) + ":" + "00".repeat(32);

  @Override
  public void Authenticate(String user, String password) throws AuthenticationException {
    String file = System.getProperty(FILE_PROPERTY);
    if (file == null || file.isEmpty()) {
      throw new AuthenticationException("no password file: set " + FILE_PROPERTY);
    }
    String entry = UNKNOWN_USER;
    try {
      List<String> lines = Files.readAllLines(Paths.get(file), StandardCharsets.UTF_8);
      for (String line : lines) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).equals(user)) {
          entry = line.substring(colon + 1);
        }
      }
    } catch (IOException error) {
      throw new AuthenticationException("cannot read the password file " + file + ": " + error.getMessage());
    }
    boolean known = entry != UNKNOWN_USER;
    if (!matches(entry, password == null ? "" : password) || !known) {
      throw new AuthenticationException("wrong user name or password for user " + user);
    }
  }

  private static boolean matches(String entry, String password) throws AuthenticationException {
    String[] fields = entry.split(":");
    if (fields.length != 4 || !fields[0].equals(SCHEME)) {
      throw new AuthenticationException("a password file line is not " + SCHEME + ":iterations:salt:hash");
    }
    try {
      HexFormat hex = HexFormat.of();
      byte[] salt = hex.parseHex(fields[2]);
      byte[] expected = hex.parseHex(fields[3]);
      KeySpec spec = new PBEKeySpec(password.toCharArray(), salt, Integer.parseInt(fields[1]),
          Math.max(expected.length, 1) * 8);
      byte[] actual = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      return MessageDigest.isEqual(actual, expected);
    } catch (Exception error) {
      throw new AuthenticationException("a password file line cannot be checked: " + error.getClass().getSimpleName());
    }
  }
}
