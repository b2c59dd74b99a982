'use strict';

const json = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

exports.index = async () => json(200, { app: '{{name}}', component: 'multi-scf' });

exports.item = async (event) => json(200, { id: event.pathParameters.id });

exports.nightly = async (event) => {
  console.log(`nightly run ${JSON.stringify(event)}`);
  return { done: true };
};
