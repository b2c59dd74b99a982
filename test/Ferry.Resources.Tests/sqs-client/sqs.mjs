// Exercises Ferry's SQS API with the official AWS SDK for JavaScript v3 (JSON protocol, default settings: it checks
// the MD5 digests of bodies it sends and receives).
// Usage: node sqs.mjs '{"endpoint": "http://127.0.0.1:PORT", "accessKeyId": "...", "secretAccessKey": "...", "queue": "..."}'
// Prints one JSON line: what each step observed, or the error that stopped it.
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand,
  DeleteMessageCommand, DeleteMessageBatchCommand, ChangeMessageVisibilityCommand, GetQueueAttributesCommand,
  ListQueuesCommand, DeleteQueueCommand, PurgeQueueCommand,
} from '@aws-sdk/client-sqs';

const request = JSON.parse(process.argv[2]);
const client = new SQSClient({
  endpoint: request.endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: request.accessKeyId, secretAccessKey: request.secretAccessKey },
  maxAttempts: 1,
});
const result = {};

try {
  const created = await client.send(new CreateQueueCommand({ QueueName: request.queue, Attributes: { VisibilityTimeout: '30' } }));
  const QueueUrl = created.QueueUrl;
  result.queueUrl = QueueUrl;
  result.sameUrl = (await client.send(new GetQueueUrlCommand({ QueueName: request.queue }))).QueueUrl === QueueUrl;

  const sent = await client.send(new SendMessageCommand({
    QueueUrl, MessageBody: 'hello from javascript ✓',
    MessageAttributes: { origin: { DataType: 'String', StringValue: 'node' }, count: { DataType: 'Number', StringValue: '3' } },
  }));
  result.sentId = sent.MessageId;
  const batch = await client.send(new SendMessageBatchCommand({
    QueueUrl, Entries: [1, 2, 3].map(i => ({ Id: `m${i}`, MessageBody: `batch ${i}` })),
  }));
  result.batchSent = batch.Successful.map(s => s.Id);

  const received = await client.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 1,
  }));
  result.bodies = received.Messages.map(m => m.Body);
  const first = received.Messages.find(m => m.MessageId === sent.MessageId);
  result.origin = first.MessageAttributes.origin.StringValue;
  result.receiveCount = first.Attributes.ApproximateReceiveCount;

  const inFlight = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  result.notVisible = inFlight.Attributes.ApproximateNumberOfMessagesNotVisible;
  result.arn = inFlight.Attributes.QueueArn;

  await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle }));
  const rest = received.Messages.filter(m => m !== first);
  // One goes back at once; the others are deleted in a batch.
  await client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: rest[0].ReceiptHandle, VisibilityTimeout: 0 }));
  const deleted = await client.send(new DeleteMessageBatchCommand({
    QueueUrl, Entries: rest.slice(1).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
  }));
  result.batchDeleted = deleted.Successful.length;

  const again = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  result.again = (again.Messages ?? []).map(m => [m.Body, m.Attributes.ApproximateReceiveCount]);

  await client.send(new PurgeQueueCommand({ QueueUrl }));
  const empty = await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  result.emptyAfterPurge = (empty.Messages ?? []).length === 0;

  result.listed = (await client.send(new ListQueuesCommand({}))).QueueUrls;
  try {
    await client.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }));
  } catch (e) {
    result.missingError = e.name;
  }

  await client.send(new DeleteQueueCommand({ QueueUrl }));
  result.listedAfterDelete = (await client.send(new ListQueuesCommand({}))).QueueUrls ?? [];
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}

console.log(JSON.stringify(result));
