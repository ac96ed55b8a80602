"""A process tree for the /proc tests (test_procscan.py): a child forked by a thread that stays alive
(so the child is listed under that thread, not the main one), a grandchild, and a zombie child.
Prints its children's pids (shell, grandchild, sleeper, zombie), then sleeps."""

import os
import subprocess
import threading
import time

started = threading.Event()
shells: list[subprocess.Popen[bytes]] = []
grandchildren: list[int] = []


def in_thread():
    shell = subprocess.Popen(["sh", "-c", "sleep 3600 & echo $!; wait"], stdout=subprocess.PIPE)
    shells.append(shell)
    grandchildren.append(int(shell.stdout.readline()))
    started.set()
    time.sleep(3600)


threading.Thread(target=in_thread, daemon=True).start()
started.wait()
sleeper = subprocess.Popen(["sleep", "3600"])
zombie = subprocess.Popen(["true"])
os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # it has exited; left unreaped
print(shells[0].pid, grandchildren[0], sleeper.pid, zombie.pid, flush=True)
time.sleep(3600)
