// Plain Lambda handlers, as they would run on AWS: the runtime interface client calls them with the event and context.
const ric = require('aws-lambda-ric/package.json');

exports.handler = async (event, context) => {
  const name = event.pathParameters?.name ?? 'world';
  console.log(`greeting ${name} in ${context.awsRequestId}`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      greeting: `hello ${name}`,
      path: event.rawPath,
      requestId: context.awsRequestId,
      functionName: context.functionName,
      remainingMs: context.getRemainingTimeInMillis(),
      // Set by the runtime interface client itself, so only present when it is what runs this handler.
      streamingSupported: typeof globalThis.awslambda?.streamifyResponse === 'function',
      runtimeInterfaceClient: `${ric.name}@${ric.version}`,
      node: process.version,
    }),
  };
};

exports.broken = async (event, context) => {
  console.log(`about to fail in ${context.awsRequestId}`);
  throw new Error(`broken on purpose at ${event.rawPath}`);
};
