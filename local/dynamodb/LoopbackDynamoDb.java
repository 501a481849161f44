import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBServerHandler;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.nio.SelectChannelConnector;

/**
 * DynamoDB Local served on the loopback interface only.
 *
 * DynamoDB Local 1.11.478 has no host option: its DynamoDBProxyServer builds `new Server(port)`,
 * which binds every interface. This launcher builds the same request handler
 * (LocalDynamoDBRequestHandler in memory, shared DB, as `-inMemory -sharedDb` does) behind a
 * LocalDynamoDBServerHandler, and serves it from one Jetty 8 SelectChannelConnector bound to
 * 127.0.0.1. The JavaScript web shell (/shell) is left out.
 *
 * Usage: java -cp DynamoDBLocal.jar:DynamoDBLocal_lib/* LoopbackDynamoDb <port>   (0 = any free port)
 * Prints `DYNAMODB_LOCAL_LISTENING 127.0.0.1 <port>` once the socket is bound.
 * Exits when its standard input closes, so it cannot outlive the process that started it.
 */
public final class LoopbackDynamoDb {
  private LoopbackDynamoDb() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;

    // (authority level, inMemory, dbPath, sharedDb, delayTransientStatuses)
    LocalDynamoDBRequestHandler requestHandler = new LocalDynamoDBRequestHandler(0, true, null, true, false);
    LocalDynamoDBServerHandler serverHandler = new LocalDynamoDBServerHandler(requestHandler, null);

    SelectChannelConnector connector = new SelectChannelConnector();
    connector.setHost("127.0.0.1");
    connector.setPort(port);

    Server server = new Server();
    server.setConnectors(new Connector[] {connector});
    server.setHandler(serverHandler);
    server.setStopAtShutdown(true);
    server.start();

    System.out.println("DYNAMODB_LOCAL_LISTENING 127.0.0.1 " + connector.getLocalPort());
    System.out.flush();

    Thread watchdog = new Thread(() -> {
      try {
        byte[] buffer = new byte[256];
        while (System.in.read(buffer) >= 0) {
          // discard; we only wait for end of input
        }
      } catch (Exception ignored) {
        // a broken pipe means the parent is gone, same as end of input
      }
      System.exit(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    server.join();
  }
}
