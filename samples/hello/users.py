"""A Python handler: returns a plain dict, which the gateway turns into a JSON response."""
import os


def get_user(event, context):
    user_id = event["pathParameters"]["id"]
    print(f"looking up user {user_id}")
    return {"id": user_id, "name": f"user-{user_id}", "greeting": os.environ.get("GREETING"), "requestId": context.aws_request_id}
