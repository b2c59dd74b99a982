// Exercises Ferry's bucket endpoint with the official AWS SDK for JavaScript v3, default settings (so PutObject sends
// aws-chunked bodies with a CRC32 trailer and GetObject validates checksums).
// Usage: node s3.mjs '{"endpoint": "http://127.0.0.1:PORT", "accessKeyId": "...", "secretAccessKey": "...", "bucket": "..."}'
// Prints one JSON line: what each step observed, or the error that stopped it.
import { Readable } from 'node:stream';
import {
  S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, CopyObjectCommand,
  DeleteObjectCommand, DeleteObjectsCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand,
} from '@aws-sdk/client-s3';

const request = JSON.parse(process.argv[2]);
const client = new S3Client({
  endpoint: request.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: request.accessKeyId, secretAccessKey: request.secretAccessKey },
  maxAttempts: 1,
});
const Bucket = request.bucket;
const result = {};

try {
  const put = await client.send(new PutObjectCommand({
    Bucket, Key: 'js/hello world.txt', Body: 'hello from javascript', ContentType: 'text/plain', Metadata: { origin: 'node' },
  }));
  result.putETag = put.ETag;

  // A stream body is sent aws-chunked with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), in 64 KiB chunks.
  const big = Buffer.alloc(300 * 1024, 7);
  for (let i = 0; i < big.length; i += 4099) big[i] = i % 251;
  await client.send(new PutObjectCommand({ Bucket, Key: 'js/big.bin', Body: Readable.from([big.subarray(0, 100000), big.subarray(100000)]), ContentLength: big.length }));

  const got = await client.send(new GetObjectCommand({ Bucket, Key: 'js/hello world.txt' }));
  result.body = await got.Body.transformToString();
  result.contentType = got.ContentType;
  result.metadata = got.Metadata;

  const gotBig = await client.send(new GetObjectCommand({ Bucket, Key: 'js/big.bin' }));
  const bigBack = Buffer.from(await gotBig.Body.transformToByteArray());
  result.bigMatches = bigBack.equals(big);

  const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'js/big.bin' }));
  result.bigLength = head.ContentLength;

  await client.send(new CopyObjectCommand({ Bucket, Key: 'js/copy.txt', CopySource: `${Bucket}/js/hello world.txt` }));

  const upload = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'js/multi.bin' }));
  const part1 = await client.send(new UploadPartCommand({ Bucket, Key: 'js/multi.bin', UploadId: upload.UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 1) }));
  const part2 = await client.send(new UploadPartCommand({ Bucket, Key: 'js/multi.bin', UploadId: upload.UploadId, PartNumber: 2, Body: Buffer.from('tail') }));
  const completed = await client.send(new CompleteMultipartUploadCommand({
    Bucket, Key: 'js/multi.bin', UploadId: upload.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part1.ETag }, { PartNumber: 2, ETag: part2.ETag }] },
  }));
  result.multipartETag = completed.ETag;

  const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'js/' }));
  result.listed = (listed.Contents ?? []).map((o) => o.Key);
  const folders = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
  result.commonPrefixes = (folders.CommonPrefixes ?? []).map((p) => p.Prefix);

  await client.send(new DeleteObjectCommand({ Bucket, Key: 'js/big.bin' }));
  const deleted = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'js/copy.txt' }, { Key: 'js/multi.bin' }] } }));
  result.deleted = (deleted.Deleted ?? []).map((d) => d.Key).sort();
  const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'js/' }));
  result.remaining = (after.Contents ?? []).map((o) => o.Key);

  try {
    await client.send(new GetObjectCommand({ Bucket, Key: 'js/big.bin' }));
    result.missingError = null;
  } catch (error) {
    result.missingError = error.name;
  }

  console.log(JSON.stringify(result));
} catch (error) {
  console.log(JSON.stringify({ ...result, error: error.name, message: error.message, statusCode: error.$metadata?.httpStatusCode ?? null }));
}
