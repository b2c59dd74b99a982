'use strict';
// An ordinary Express app that only exports itself (as on Tencent SCF's Express component): Ferry's launcher
// starts it on $PORT. `node -e "require('./app').listen(3000)"` runs it locally.
const express = require('express');

const app = express();
app.use(express.json());

app.get('/', (req, res) => {
  res.json({ app: 'express', prefix: req.get('x-forwarded-prefix') ?? null });
});

app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id, q: req.query.q ?? null });
});

app.post('/echo', (req, res) => {
  res.status(201).json({ received: req.body });
});

module.exports = app;
