"""A project's own simulator, registered for the whole run (test_simulator_hook.py)."""

from harness import simulators
from harness.simulators import Simulator, json_response


class Greeter(Simulator):
    kind = "greeter"

    def handle(self, request):
        if request.path == "/hello":
            return json_response({"hello": self.service_name})
        return None


simulators.register("greeter", Greeter)  # for the whole run: a project's own simulator
