import json
import os


def main_handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"catalog": os.environ["CATALOG_URL"] + "/products"}),
    }
