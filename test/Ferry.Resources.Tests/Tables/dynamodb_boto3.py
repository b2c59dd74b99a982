# Exercises Ferry's DynamoDB-compatible tables with boto3 (client and resource APIs), as Python apps use them.
# Usage: python3 dynamodb_boto3.py '{"endpoint": "http://127.0.0.1:PORT", "accessKeyId": "...", "secretAccessKey": "...",
#                                    "otherAccessKeyId": "...", "otherSecretAccessKey": "..."}'
# Prints one JSON line: what each step observed, or the error that stopped it.
import json
import sys
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

request = json.loads(sys.argv[1])
config = Config(retries={"max_attempts": 1})


def session(key, secret):
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")


mine = session(request["accessKeyId"], request["secretAccessKey"])
client = mine.client("dynamodb", endpoint_url=request["endpoint"], config=config)
resource = mine.resource("dynamodb", endpoint_url=request["endpoint"], config=config)
result = {}

try:
    table = resource.create_table(
        TableName="events",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "kind", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "by-kind", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "kind", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        BillingMode="PAY_PER_REQUEST")
    table.wait_until_exists()
    result["itemCount"] = table.item_count

    with table.batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"pk": "device-1", "sk": f"2024-01-{i + 1:02d}", "kind": "temp" if i % 3 else "alarm", "value": Decimal(i) / 2,
                                 "payload": b"\x00\x01" if i == 0 else None})

    result["beginsWith"] = [i["sk"] for i in table.query(KeyConditionExpression=Key("pk").eq("device-1") & Key("sk").begins_with("2024-01-0"))["Items"]]
    result["filtered"] = table.query(KeyConditionExpression=Key("pk").eq("device-1"), FilterExpression=Attr("value").gt(Decimal("13.5")))["Count"]
    page = table.query(KeyConditionExpression=Key("pk").eq("device-1") & Key("sk").gte("2024-01-10"), Limit=5, ScanIndexForward=False)
    result["lastKey"] = page["LastEvaluatedKey"]
    result["firstPage"] = [i["sk"] for i in page["Items"]]
    alarms = table.query(IndexName="by-kind", KeyConditionExpression=Key("pk").eq("device-1") & Key("kind").eq("alarm"))
    result["alarms"] = len(alarms["Items"])
    result["alarmAttributes"] = sorted(alarms["Items"][0].keys())

    scanned, start = [], None
    while True:
        args = {"Limit": 7, "FilterExpression": Attr("kind").eq("temp")}
        if start:
            args["ExclusiveStartKey"] = start
        response = table.scan(**args)
        scanned += [i["sk"] for i in response["Items"]]
        start = response.get("LastEvaluatedKey")
        if not start:
            break
    result["scanned"] = len(scanned)

    table.update_item(Key={"pk": "device-1", "sk": "2024-01-01"}, UpdateExpression="SET #v = #v - :d, readings = :r DELETE labels :gone",
                      ExpressionAttributeNames={"#v": "value"}, ExpressionAttributeValues={":d": Decimal("0.25"), ":r": [1, 2], ":gone": {"x"}})
    item = table.get_item(Key={"pk": "device-1", "sk": "2024-01-01"})["Item"]
    result["value"] = str(item["value"])
    result["payload"] = bytes(item["payload"].value).hex()

    try:
        client.put_item(TableName="events", Item={"pk": {"S": "x"}})
    except ClientError as e:
        result["missingKey"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
    try:
        client.query(TableName="events", KeyConditions={"pk": {"AttributeValueList": [{"S": "x"}], "ComparisonOperator": "EQ"}})
    except ClientError as e:
        result["legacy"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
    try:
        table.put_item(Item={"pk": "big", "sk": "1", "blob": "x" * (401 * 1024)})
    except ClientError as e:
        result["tooBig"] = e.response["Error"]["Message"]
    try:
        table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "x", ":unused": "y"})
    except ClientError as e:
        result["unused"] = e.response["Error"]["Message"]

    # Another tenant's function sees none of these tables, and can't reach them by name.
    other = session(request["otherAccessKeyId"], request["otherSecretAccessKey"]).client("dynamodb", endpoint_url=request["endpoint"], config=config)
    result["otherTables"] = other.list_tables()["TableNames"]
    try:
        other.get_item(TableName="events", Key={"pk": {"S": "device-1"}, "sk": {"S": "2024-01-01"}})
    except ClientError as e:
        result["otherGet"] = e.response["Error"]["Code"]

    wrong = session(request["accessKeyId"], "not-the-secret").client("dynamodb", endpoint_url=request["endpoint"], config=config)
    try:
        wrong.list_tables()
    except ClientError as e:
        result["badSignature"] = e.response["Error"]["Code"]
except Exception as e:  # noqa: BLE001 - report whatever stopped the run
    result["error"] = f"{type(e).__name__}: {e}"

print(json.dumps(result, default=str))
