'use strict';

// An SCF handler has Lambda's signature; API gateway results are { statusCode, headers, body }.
exports.main_handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ app: '{{name}}', component: 'scf' }),
});
