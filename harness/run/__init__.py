"""What belongs to a whole run rather than to one mock or one app process:

* :mod:`~harness.run.tls`: the run's certificate authority, its CA bundle and what makes apps trust it;
* :mod:`~harness.run.offline`: the offline guard, the refusing proxy that records non-mock hosts;
* :mod:`~harness.run.records`: the registry of live runs, and the sweep of what dead runs left;
* :mod:`~harness.run.guard`: the runner's side of the watchdog (the watchdog script itself,
  :mod:`harness.process.watchdog`, lives beside the process scanning it shares);

with :mod:`harness.files` (the files a run writes, and the instance a run holds).
"""
