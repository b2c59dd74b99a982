"""Invokes a function with boto3 pointed at a Ferry server (the Python twin of invoke.mjs).

Usage: python3 invoke.py '{"endpoint": "...", "functionName": "...", "payload": {...}, "invocationType": "...", "logType": "..."}'
Prints one JSON line: the response (log decoded, payload as text) or the error boto3 raised.
"""
import base64
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

request = json.loads(sys.argv[1])
client = boto3.client(
    "lambda",
    endpoint_url=request["endpoint"],
    region_name=request.get("region") or "local",
    aws_access_key_id=request["accessKeyId"],
    aws_secret_access_key=request["secretAccessKey"],
    config=Config(retries={"max_attempts": 1}),
)

arguments = {"FunctionName": request["functionName"]}
for key, name in (("invocationType", "InvocationType"), ("logType", "LogType"), ("qualifier", "Qualifier")):
    if request.get(key):
        arguments[name] = request[key]
if "payload" in request:
    arguments["Payload"] = json.dumps(request["payload"]).encode()

try:
    response = client.invoke(**arguments)
    log = response.get("LogResult")
    print(json.dumps({
        "statusCode": response["StatusCode"],
        "functionError": response.get("FunctionError"),
        "executedVersion": response.get("ExecutedVersion"),
        "log": base64.b64decode(log).decode() if log else None,
        "payload": response["Payload"].read().decode() or None,
    }))
except ClientError as error:
    print(json.dumps({
        "error": error.response["Error"]["Code"],
        "message": error.response["Error"]["Message"],
        "statusCode": error.response["ResponseMetadata"]["HTTPStatusCode"],
    }))
