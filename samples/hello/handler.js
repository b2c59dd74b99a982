'use strict';

// An API Gateway HTTP API (payload 2.0) handler, exactly as it would run on AWS Lambda.
module.exports.hello = async (event, context) => {
  const name = event.queryStringParameters?.name ?? 'world';
  console.log(`greeting ${name} (request ${context.awsRequestId})`);
  const posted = event.body ? JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body) : null;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: `${process.env.GREETING}, ${name}!`,
      stage: process.env.STAGE,
      method: event.requestContext.http.method,
      path: event.rawPath,
      posted,
    }),
  };
};
