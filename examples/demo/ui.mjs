#!/usr/bin/env node
// A stand-in for a Streamlit page: serves one HTML page and a health endpoint on $PORT.
// Needs nothing but Node, so `make up` works on a fresh machine.
import { createServer } from 'node:http';

const title = process.argv[2] ?? 'demo';
const port = Number(process.env.PORT ?? 8501);
const started = new Date().toISOString();

const server = createServer((req, res) => {
  if (req.url === '/_stcore/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><title>${title}</title><h1>${title}</h1><p>pid ${process.pid}, up since ${started}</p>`,
  );
});
server.listen(port, '127.0.0.1', () => console.log(`${title} listening on http://127.0.0.1:${port}/`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
