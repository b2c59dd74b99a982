import json
import os
import sqlite3


def main_handler(event, context):
    if event.get("path", "/").rstrip("/").endswith("/orders"):
        return orders(event)
    return respond(200, {"catalog": os.environ["CATALOG_URL"] + "/products"})


def orders(event):
    url = os.environ["ORDERS_DATABASE_URL"]
    if not url.startswith("sqlite://"):
        # With `ferry server --database-server` the URL is postgresql://…; this sample keeps to Python's standard library.
        return respond(501, {"error": "this sample stores orders in SQLite only", "engine": url.split(":", 1)[0]})

    with sqlite3.connect(url[len("sqlite://"):]) as db:
        db.execute("create table if not exists orders (id integer primary key, product text not null)")
        if event.get("httpMethod") == "POST":
            product = json.loads(event.get("body") or "{}").get("product", "")
            if not product:
                return respond(400, {"error": "send {\"product\": NAME}"})
            cursor = db.execute("insert into orders (product) values (?)", (product,))
            return respond(201, {"id": cursor.lastrowid, "product": product})
        rows = db.execute("select id, product from orders order by id").fetchall()
    return respond(200, [{"id": id, "product": product} for id, product in rows])


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
