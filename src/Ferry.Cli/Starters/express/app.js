'use strict';
// An ordinary Express app that exports itself; Ferry starts it. Locally: node -e "require('./app').listen(3000)"
const express = require('express');

const app = express();
app.use(express.json());

app.get('/', (req, res) => {
  res.json({ app: '{{name}}', framework: 'express' });
});

app.get('/hello/:name', (req, res) => {
  res.json({ message: `Hello, ${req.params.name}!` });
});

module.exports = app;
