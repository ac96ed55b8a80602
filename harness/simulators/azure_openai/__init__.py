"""Azure OpenAI simulator: chat completions and the Responses API (plain, streamed, tool calls) and
embeddings, with the service's framing, errors, auth, rate limits and latency, primed per test.

    [tool.harness.services.openai]
    simulator = "azure_openai"
    [tool.harness.services.openai.options]
    tokens_per_minute = 10000

    def test_answer(services):
        sim = services["openai"].simulator
        sim.answer_next("Paris")
        sim.throttle_next(retry_after=0.05)

See docs/simulators/azure_openai.md.
"""

from harness.simulators.azure_openai.calls import Call, Usage
from harness.simulators.azure_openai.chat import ChatRequest
from harness.simulators.azure_openai.clock import SimClock
from harness.simulators.azure_openai.priming import Reply, ToolCall
from harness.simulators.azure_openai.simulator import AzureOpenAISimulator

__all__ = ["AzureOpenAISimulator", "Call", "ChatRequest", "Reply", "SimClock", "ToolCall", "Usage"]
