# Writes to a table while the tenant is over its storage quota: reads still work, writes fail.
# Usage: python3 over_quota_boto3.py '{"endpoint": "...", "accessKeyId": "...", "secretAccessKey": "..."}'
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

request = json.loads(sys.argv[1])
client = boto3.session.Session(aws_access_key_id=request["accessKeyId"], aws_secret_access_key=request["secretAccessKey"], region_name="local").client(
    "dynamodb", endpoint_url=request["endpoint"], config=Config(retries={"max_attempts": 1}))
result = {}
try:
    result["tables"] = client.list_tables()["TableNames"]
    try:
        client.put_item(TableName="things", Item={"id": {"S": "1"}})
    except ClientError as e:
        result["put"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
    result["get"] = client.get_item(TableName="things", Key={"id": {"S": "0"}})["Item"]["id"]["S"]
except Exception as e:  # noqa: BLE001 - report whatever stopped the run
    result["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(result))
