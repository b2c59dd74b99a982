import json


def hello(event, context):
    """An API Gateway HTTP API (payload 2.0) handler: GET /hello?name=you"""
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": f"Hello, {name}!", "service": "{{name}}"}),
    }
