// Exercises Ferry's DynamoDB-compatible tables with the official AWS SDK for JavaScript v3: the low-level client
// (@aws-sdk/client-dynamodb) for tables, and the document client (@aws-sdk/lib-dynamodb) for items, as apps use them.
// Usage: node dynamodb.mjs '{"endpoint": "http://127.0.0.1:PORT", "accessKeyId": "...", "secretAccessKey": "..."}'
// Prints one JSON line: what each step observed, or the error that stopped it.
import {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, ListTablesCommand, DeleteTableCommand, waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, DeleteCommand, QueryCommand, ScanCommand,
  BatchGetCommand, BatchWriteCommand, TransactWriteCommand, TransactGetCommand, paginateQuery,
} from '@aws-sdk/lib-dynamodb';

const request = JSON.parse(process.argv[2]);
const client = new DynamoDBClient({
  endpoint: request.endpoint,
  region: 'eu-west-3',
  credentials: { accessKeyId: request.accessKeyId, secretAccessKey: request.secretAccessKey },
  maxAttempts: 1,
});
const docs = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const TableName = 'orders';
const result = {};

try {
  await client.send(new CreateTableCommand({
    TableName,
    AttributeDefinitions: [
      { AttributeName: 'customer', AttributeType: 'S' },
      { AttributeName: 'order', AttributeType: 'N' },
      { AttributeName: 'status', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'customer', KeyType: 'HASH' }, { AttributeName: 'order', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [{
      IndexName: 'by-status',
      KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'order', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'ALL' },
    }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName });
  const described = await client.send(new DescribeTableCommand({ TableName }));
  result.status = described.Table.TableStatus;
  result.indexes = described.Table.GlobalSecondaryIndexes.map((i) => i.IndexName);
  result.tables = (await client.send(new ListTablesCommand({}))).TableNames;

  for (const [order, status, total] of [[-5, 'open', 10], [2, 'open', 25.5], [10, 'shipped', 7], [100, 'open', 3]]) {
    await docs.send(new PutCommand({ TableName, Item: { customer: 'ann', order, status, total, tags: new Set(['a']), lines: [{ sku: 'x', qty: 1 }] } }));
  }
  await docs.send(new PutCommand({ TableName, Item: { customer: 'bob', order: 1, status: 'open', total: 1 } }));

  try {
    await docs.send(new PutCommand({ TableName, Item: { customer: 'ann', order: 2 }, ConditionExpression: 'attribute_not_exists(customer)' }));
    result.conditionError = 'none';
  } catch (e) {
    result.conditionError = e.name;
  }

  const got = await docs.send(new GetCommand({ TableName, Key: { customer: 'ann', order: 2 }, ProjectionExpression: '#s, lines[0].sku', ExpressionAttributeNames: { '#s': 'status' } }));
  result.projected = got.Item;

  const updated = await docs.send(new UpdateCommand({
    TableName,
    Key: { customer: 'ann', order: 2 },
    UpdateExpression: 'SET total = total + :inc, visits = if_not_exists(visits, :zero) + :one, lines = list_append(lines, :more) REMOVE #s ADD tags :tag',
    ConditionExpression: 'total > :min',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':inc': 4.5, ':zero': 0, ':one': 1, ':more': [{ sku: 'y', qty: 2 }], ':tag': new Set(['b']), ':min': 20 },
    ReturnValues: 'ALL_NEW',
  }));
  result.updated = { total: updated.Attributes.total, visits: updated.Attributes.visits, lines: updated.Attributes.lines.length, tags: [...updated.Attributes.tags].sort(), status: updated.Attributes.status ?? null };

  const query = await docs.send(new QueryCommand({
    TableName, KeyConditionExpression: 'customer = :c AND #o BETWEEN :lo AND :hi', ExpressionAttributeNames: { '#o': 'order' },
    ExpressionAttributeValues: { ':c': 'ann', ':lo': -10, ':hi': 50 }, ScanIndexForward: false,
  }));
  result.queryOrders = query.Items.map((i) => i.order);

  const pages = [];
  for await (const page of paginateQuery({ client: docs, pageSize: 2 }, { TableName, KeyConditionExpression: 'customer = :c', ExpressionAttributeValues: { ':c': 'ann' } })) {
    pages.push(page.Items.map((i) => i.order));
  }
  result.pages = pages;

  const byStatus = await docs.send(new QueryCommand({
    TableName, IndexName: 'by-status', KeyConditionExpression: '#s = :s AND #o > :after', FilterExpression: 'total >= :t',
    ExpressionAttributeNames: { '#s': 'status', '#o': 'order' }, ExpressionAttributeValues: { ':s': 'open', ':after': 0, ':t': 2 },
  }));
  result.indexOrders = byStatus.Items.map((i) => `${i.customer}/${i.order}`);
  result.indexScanned = byStatus.ScannedCount;

  const count = await docs.send(new ScanCommand({ TableName, Select: 'COUNT', FilterExpression: 'contains(tags, :t)', ExpressionAttributeValues: { ':t': 'a' } }));
  result.scanCount = count.Count;

  await docs.send(new BatchWriteCommand({ RequestItems: { [TableName]: [
    { PutRequest: { Item: { customer: 'cid', order: 1, status: 'new' } } },
    { PutRequest: { Item: { customer: 'cid', order: 2, status: 'new' } } },
    { DeleteRequest: { Key: { customer: 'bob', order: 1 } } },
  ] } }));
  const batch = await docs.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: [{ customer: 'cid', order: 1 }, { customer: 'cid', order: 2 }, { customer: 'bob', order: 1 }] } } }));
  result.batchGot = batch.Responses[TableName].map((i) => `${i.customer}/${i.order}`).sort();

  try {
    await docs.send(new TransactWriteCommand({ TransactItems: [
      { Put: { TableName, Item: { customer: 'dan', order: 1 } } },
      { ConditionCheck: { TableName, Key: { customer: 'cid', order: 1 }, ConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'paid' } } },
    ] }));
    result.transaction = 'committed';
  } catch (e) {
    result.transaction = e.name;
    result.reasons = e.CancellationReasons?.map((r) => r.Code);
  }
  result.danAfterCancel = (await docs.send(new GetCommand({ TableName, Key: { customer: 'dan', order: 1 } }))).Item ?? null;

  await docs.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName, Item: { customer: 'dan', order: 1 } } },
    { Update: { TableName, Key: { customer: 'cid', order: 1 }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'paid' } } },
    { Delete: { TableName, Key: { customer: 'cid', order: 2 } } },
  ] }));
  const tget = await docs.send(new TransactGetCommand({ TransactItems: [
    { Get: { TableName, Key: { customer: 'dan', order: 1 } } }, { Get: { TableName, Key: { customer: 'cid', order: 1 } } }, { Get: { TableName, Key: { customer: 'cid', order: 2 } } },
  ] }));
  result.transactGot = tget.Responses.map((r) => (r.Item ? `${r.Item.customer}/${r.Item.order}/${r.Item.status ?? ''}` : null));

  await docs.send(new DeleteCommand({ TableName, Key: { customer: 'dan', order: 1 } }));
  try {
    await docs.send(new GetCommand({ TableName: 'missing-table', Key: { id: 'x' } }));
  } catch (e) {
    result.missingError = e.name;
  }

  await client.send(new DeleteTableCommand({ TableName }));
  result.tablesAfter = (await client.send(new ListTablesCommand({}))).TableNames;
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}

console.log(JSON.stringify(result));
