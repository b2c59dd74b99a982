"""Exercises Ferry's SQS query protocol (form POSTs, XML answers) as boto3 before 1.34 and the JavaScript SDK v2 send
it: every request signed with botocore's SigV4 signer for the service 'sqs'. Prints one JSON line."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

request = json.loads(sys.argv[1])
endpoint = request["endpoint"]
credentials = Credentials(request["accessKeyId"], request["secretAccessKey"])
NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}


def call(action, params, url=None):
    body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **params})
    aws = AWSRequest(method="POST", url=url or endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(credentials, "sqs", "us-east-1").add_auth(aws)
    http = urllib.request.Request(aws.url, data=body.encode(), headers=dict(aws.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(http) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


result = {}
status, xml = call("CreateQueue", {"QueueName": request["queue"], "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40"})
queue_url = xml.find("q:CreateQueueResult/q:QueueUrl", NS).text
result["queueUrl"] = queue_url
status, xml = call("SendMessage", {
    "QueueUrl": queue_url, "MessageBody": "hello + query & co",
    "MessageAttribute.1.Name": "origin", "MessageAttribute.1.Value.DataType": "String", "MessageAttribute.1.Value.StringValue": "python",
})
result["md5"] = xml.find("q:SendMessageResult/q:MD5OfMessageBody", NS).text
result["md5Attributes"] = xml.find("q:SendMessageResult/q:MD5OfMessageAttributes", NS).text
status, xml = call("SendMessageBatch", {
    "SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "batch a",
    "SendMessageBatchRequestEntry.2.Id": "b", "SendMessageBatchRequestEntry.2.MessageBody": "batch b",
}, url=queue_url)
result["batchIds"] = [e.text for e in xml.findall("q:SendMessageBatchResult/q:SendMessageBatchResultEntry/q:Id", NS)]
# To the queue's URL, without a QueueUrl parameter, as the query protocol allows.
status, xml = call("ReceiveMessage", {"MaxNumberOfMessages": "10", "AttributeName.1": "All", "MessageAttributeName.1": "All"}, url=queue_url)
messages = xml.findall("q:ReceiveMessageResult/q:Message", NS)
result["bodies"] = [m.find("q:Body", NS).text for m in messages]
result["origin"] = [v.find("q:Value/q:StringValue", NS).text for m in messages for v in m.findall("q:MessageAttribute", NS)]
result["receiveCounts"] = [a.find("q:Value", NS).text for m in messages for a in m.findall("q:Attribute", NS)
                           if a.find("q:Name", NS).text == "ApproximateReceiveCount"]
entries = {}
for i, m in enumerate(messages, start=1):
    entries[f"DeleteMessageBatchRequestEntry.{i}.Id"] = f"e{i}"
    entries[f"DeleteMessageBatchRequestEntry.{i}.ReceiptHandle"] = m.find("q:ReceiptHandle", NS).text
status, xml = call("DeleteMessageBatch", {"QueueUrl": queue_url, **entries})
result["deleted"] = len(xml.findall("q:DeleteMessageBatchResult/q:DeleteMessageBatchResultEntry", NS))
status, xml = call("GetQueueAttributes", {"QueueUrl": queue_url, "AttributeName.1": "All"})
attributes = {a.find("q:Name", NS).text: a.find("q:Value", NS).text for a in xml.findall("q:GetQueueAttributesResult/q:Attribute", NS)}
result["visibilityTimeout"] = attributes.get("VisibilityTimeout")
result["visible"] = attributes.get("ApproximateNumberOfMessages")
status, xml = call("ListQueues", {})
result["listed"] = [u.text for u in xml.findall("q:ListQueuesResult/q:QueueUrl", NS)]
status, xml = call("GetQueueUrl", {"QueueName": "no-such-queue"})
result["missingStatus"] = status
result["missingCode"] = xml.find("q:Error/q:Code", NS).text
status, xml = call("DeleteQueue", {"QueueUrl": queue_url})
result["deleteStatus"] = status
print(json.dumps(result))
