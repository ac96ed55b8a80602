import psutil
from conftest import get, mark, wait_for


def test_workers_answer(harness_app):
    # Ready means one worker answers; the other may still be booting.
    wait_for(lambda: len(psutil.Process(harness_app.pid).children()) == 2, "two workers")
    workers = {child.pid for child in psutil.Process(harness_app.pid).children()}
    seen = set()
    for _ in range(20):
        status, body = get(harness_app.url_for("/"))
        assert status == 200
        seen.add(int(body))
    assert seen <= workers, (seen, workers)
    mark("perturbed")
