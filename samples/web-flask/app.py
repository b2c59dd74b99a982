import os

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(app="flask", prefix=request.headers.get("X-Forwarded-Prefix"))


@app.get("/items/<item_id>")
def item(item_id):
    return jsonify(id=item_id, q=request.args.get("q"))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
