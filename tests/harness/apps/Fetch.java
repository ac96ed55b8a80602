// GET args[0] with the JDK's HttpClient at its defaults; print "<status> <body>". Run as a
// single-file program (java Fetch.java URL): its trust comes from the JVM's options alone.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class Fetch {
    public static void main(String[] args) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).build();
        HttpResponse<String> response =
                HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        System.out.print(response.statusCode() + " " + response.body());
    }
}
