'use strict';

// An API Gateway HTTP API (payload 2.0) handler: GET /hello?name=you
module.exports.hello = async (event) => {
  const name = event.queryStringParameters?.name ?? 'world';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `Hello, ${name}!`, service: '{{name}}' }),
  };
};
