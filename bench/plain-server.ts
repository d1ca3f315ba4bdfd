/**
 * The baseline of P1/P2: a plain Express JSON endpoint answering the same object the hub answers, serialised
 * for every request (`res.json`), as a hand-written endpoint would.
 */
import express from 'express';

const answer: unknown = JSON.parse(process.argv[2] ?? '{}');
const app = express();
app.post('/plain', express.json(), (_req, res) => {
  res.json(answer);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
