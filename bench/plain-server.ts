/**
 * The baseline of P1/P2: a plain Express JSON endpoint serving a fixed object (the same offer the hub
 * answers).
 */
import express from 'express';

const body = process.argv[2] ?? '{}';
const app = express();
app.post('/plain', express.json(), (_req, res) => {
  res.type('application/json').send(body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
