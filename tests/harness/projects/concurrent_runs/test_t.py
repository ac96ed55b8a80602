import json
import os
import time
import urllib.request
from pathlib import Path

from dotenv import dotenv_values

RUNS = Path(os.environ["RUNS_DIR"])


def env_of_app(url, name):
    with urllib.request.urlopen(f"{url}/env?name={name}", timeout=10) as response:
        return response.read().decode()


def test_together(harness_app, harness_services):
    env_file = env_of_app(harness_app.url, "HARNESS_ENV_FILE")
    (RUNS / f"{os.getpid()}.json").write_text(
        json.dumps({"env_file": env_file, "log": str(harness_app.log_path), "app": harness_app.pid})
    )
    deadline = time.monotonic() + 60
    while len(list(RUNS.glob("*.json"))) < int(os.environ["RUNS_EXPECTED"]):
        assert time.monotonic() < deadline, "the other run never came"
        time.sleep(0.01)
    assert dotenv_values(env_file)["UPSTREAM"] == harness_services["up"].url
    assert env_of_app(harness_app.url, "UPSTREAM") == harness_services["up"].url
    print(f"tiny app of this run: pid {harness_app.pid}")
