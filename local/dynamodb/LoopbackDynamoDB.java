// Starts the official DynamoDB Local bound to one host (127.0.0.1 by default).
// DynamoDB Local has no host flag: its Jetty server listens on every interface.
// We build the server exactly as its own ServerRunner does, then set the host on
// the Jetty connector before start. Run with Java's single-file source launcher:
//   java -cp 'DynamoDBLocal.jar:DynamoDBLocal_lib/*' LoopbackDynamoDB.java <host> <ServerRunner args...>
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDB {
  public static void main(String[] args) throws Exception {
    String host = args[0];
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(rest);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    // Exit when our parent goes away (its end of stdin closes), so a crashed
    // test run or a killed `npm start` never leaves a JVM listening behind it.
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) { }
      } catch (Exception ignored) {
      }
      Runtime.getRuntime().halt(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    proxy.start();
    System.out.println("DynamoDB Local listening on " + host);
    System.out.flush();
    proxy.join();
  }
}
