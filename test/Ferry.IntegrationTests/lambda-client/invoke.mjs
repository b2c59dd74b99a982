// Invokes a function with the official AWS SDK for JavaScript v3, pointed at a Ferry server.
// Usage: node invoke.mjs '{"endpoint": "...", "functionName": "...", "payload": {...}, "invocationType": "...", "logType": "...", "qualifier": "..."}'
// Prints one JSON line: the SDK's response (log decoded, payload as text) or the error it threw.
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';

const request = JSON.parse(process.argv[2]);
const client = new LambdaClient({
  endpoint: request.endpoint,
  region: request.region ?? 'local',
  credentials: { accessKeyId: request.accessKeyId, secretAccessKey: request.secretAccessKey },
  maxAttempts: 1,
});

try {
  const response = await client.send(new InvokeCommand({
    FunctionName: request.functionName,
    Payload: request.payload === undefined ? undefined : Buffer.from(JSON.stringify(request.payload)),
    InvocationType: request.invocationType,
    LogType: request.logType,
    Qualifier: request.qualifier,
  }));
  console.log(JSON.stringify({
    statusCode: response.StatusCode,
    functionError: response.FunctionError ?? null,
    executedVersion: response.ExecutedVersion ?? null,
    log: response.LogResult ? Buffer.from(response.LogResult, 'base64').toString('utf8') : null,
    payload: response.Payload?.length ? Buffer.from(response.Payload).toString('utf8') : null,
  }));
} catch (error) {
  console.log(JSON.stringify({ error: error.name, message: error.message, statusCode: error.$metadata?.httpStatusCode ?? null }));
}
