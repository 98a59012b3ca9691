"""Fetches veedor's answer to every voter id in a list and writes each as a static file for
nginx: the same bytes, at the same path. Usage: fetch.py HOST:PORT IDS OUT_ROOT"""
import http.client
import os
import sys

host, port = sys.argv[1].rsplit(":", 1)
ids_path, root = sys.argv[2], sys.argv[3]
folder = os.path.join(root, "api", "v1", "lookup")
os.makedirs(folder, exist_ok=True)
connection = http.client.HTTPConnection(host, int(port))
count = 0
with open(ids_path) as ids:
    for line in ids:
        voter = line.strip()
        if not voter:
            continue
        connection.request("GET", "/api/v1/lookup/" + voter)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"voter {voter}: HTTP {response.status}")
        with open(os.path.join(folder, voter), "wb") as out:
            out.write(body)
        count += 1
print(f"wrote {count} answers under {folder}")
