const http = require("http");

const port = Number(process.env.PORT);
const upstream = process.env.UPSTREAM_URL;

http
  .createServer((req, res) => {
    console.log(`node app ${req.method} ${req.url}`);
    if (req.url === "/health") {
      res.end("ok");
    } else if (req.url === "/proxy") {
      http
        .get(upstream + "/x", (answer) => {
          let body = "";
          answer.on("data", (chunk) => (body += chunk));
          answer.on("end", () => {
            res.writeHead(answer.statusCode);
            res.end(body);
          });
        })
        .on("error", (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
    } else {
      res.writeHead(404);
      res.end();
    }
  })
  .listen(port, "127.0.0.1", () => console.log(`node app listening on ${port}`));
