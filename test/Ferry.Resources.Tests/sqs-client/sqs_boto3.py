"""Exercises Ferry's SQS API with boto3 as installed (botocore 1.34+ speaks the JSON protocol to SQS, older versions
such as Debian 12's 1.26 the query protocol). Prints one JSON line."""
import json
import sys

import boto3
import botocore

request = json.loads(sys.argv[1])
sqs = boto3.client("sqs", endpoint_url=request["endpoint"], region_name="us-east-1",
                   aws_access_key_id=request["accessKeyId"], aws_secret_access_key=request["secretAccessKey"])
result = {"botocore": botocore.__version__}
url = sqs.create_queue(QueueName=request["queue"], Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
for body, group in [("one", "g1"), ("two", "g1"), ("three", "g2"), ("one", "g1")]:
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
result["first"] = [m["Body"] for m in first]
result["groups"] = [m["Attributes"]["MessageGroupId"] for m in first]
# Every message is in flight: nothing more to receive until they are deleted.
result["whileInFlight"] = len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(first)])
result["afterDelete"] = len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
try:
    sqs.send_message(QueueUrl=url, MessageBody="x" * (256 * 1024 + 1), MessageGroupId="g1")
except botocore.exceptions.ClientError as e:
    result["tooLarge"] = e.response["Error"]["Code"]
try:
    sqs.get_queue_url(QueueName="no-such-queue")
except botocore.exceptions.ClientError as e:
    result["missing"] = e.response["Error"]["Code"]
sqs.delete_queue(QueueUrl=url)
print(json.dumps(result))
