"""What the harness's own tests (tests/harness) and the benchmarks (bench/) share, one module a job:

- ``polling``: wait for something, always against a deadline (``wait_for``, ``poll``, ``DEADLINE``);
- ``processes``: is a process alive, wait until processes are gone, what a test or run left behind;
- ``projects``: throwaway projects: their files (tests/harness/projects), pyproject.toml, pytest or
  Python run in them;
- ``apps``: the programs tests run as apps (tests/harness/apps), and what the tiny app says;
- ``web``: a GET that never goes through a proxy (standard library only: projects get a copy);
- ``clients``: real HTTP clients (requests, httpx, urllib3, http.client, curl), for the fault tests;
- ``simulators``: a mock answered by a simulator, the per-test bracket, and the ``echo`` simulator;
- ``chaos``: the chaos scenarios: runners perturbed, apps misbehaving, and what survived;
- ``decoys``: the decoy tree of the do-no-harm checks, and a real run in a fresh one;
- ``installs``: tools installed once per machine from npm into the user's cache;
- ``wiremock``: WireMock 3 standalone, installed and run;
- ``node_dotenv``: Node's dotenv, to read env files as a Node app would.
"""
