"""The files harness writes, and the rules that keep it from harming the project it runs in.

* :mod:`harness.files.confine` -- every path harness writes lies inside the project (unless the
  configuration opts out with ``allow_writes_outside_project``), is never reached through a link at
  its last step, and is never a directory or a device.
* :mod:`harness.files.owned` -- a file harness writes carries a first line naming the run that
  wrote it; harness overwrites only such files (of its own run, or of a run that is over), and
  removes only the very file it wrote.
* :mod:`harness.files.claims` -- two runs in one checkout never share a file: each holds an
  instance name (a lock the kernel releases when the run dies) that its file names carry.
* :mod:`harness.files.run_files` -- the env files and logs of one run, under those rules.

Nothing is imported here: the configuration loader needs :mod:`~harness.files.confine` alone.
"""
