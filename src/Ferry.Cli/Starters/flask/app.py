import os

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(app="{{name}}", framework="flask")


@app.get("/hello/<name>")
def hello(name):
    return jsonify(message=f"Hello, {name}!")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
