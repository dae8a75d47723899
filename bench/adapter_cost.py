"""What each channel adapter's own work costs: verify + parse of the channel's real, signed
payload, in this process, with no HTTP and no JetStream.

    python -m bench.adapter_cost [--seconds 0.5]

The HTTP figures of bench.ingest_channels swing with whatever else the machine runs; this one
isolates the adapter code, and is given as a ratio to the web form's adapter as well.
"""

from __future__ import annotations

import argparse
import re
import time
import tomllib

from schemas.config import SwitchboardConfig
from services.ingest.adapter import ChannelAdapter, InboundRequest
from services.ingest.registry import load_adapters
from tests.support.channels import HTTP_CHANNELS, channels_toml
from tests.support.ports import free_port

BASE = "http://127.0.0.1:8000"  # Twilio signs the URL: the requests are built for this one
REQUESTS = 500  # distinct requests per channel, cycled


def routes(config: SwitchboardConfig) -> list[tuple[re.Pattern[str], ChannelAdapter]]:
    adapters, failed = load_adapters(config)
    if failed:
        raise RuntimeError(f"adapters failed to load: {failed}")
    return [
        (re.compile("^/channels" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", a.path) + "$"), a)
        for a in adapters
    ]


def prepared(name: str, config: SwitchboardConfig) -> list[tuple[ChannelAdapter, InboundRequest]]:
    """The channel's requests as ingest's route hands them to its adapter."""
    _, build = HTTP_CHANNELS[name]
    table = routes(config)
    found = []
    for n in range(1, REQUESTS + 1):
        path, body, headers = build(n, f"bench {n}", BASE)
        adapter, params = next((a, m.groupdict()) for p, a in table if (m := p.match(path)))
        request = InboundRequest(
            url=BASE + path,
            body=body,
            headers={k.lower(): v for k, v in headers.items()},
            path_params=params,
        )
        found.append((adapter, request))
    return found


def microseconds_per_request(
    work: list[tuple[ChannelAdapter, InboundRequest]], seconds: float
) -> float:
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        adapter, request = work[count % len(work)]
        adapter.verify(request)
        if not adapter.parse(request):
            raise AssertionError(f"{adapter.name}: a benchmark request carried no event")
        count += 1
    return elapsed / count * 1e6


def measure(seconds: float) -> dict[str, dict[str, float]]:
    config = SwitchboardConfig.model_validate(tomllib.loads(channels_toml(free_port())))
    costs = {
        name: microseconds_per_request(prepared(name, config), seconds) for name in HTTP_CHANNELS
    }
    form = costs["webform"]
    # A ratio below 1: cheaper than the web form's adapter (which validates an e-mail address).
    print(f"{'adapter (verify+parse)':<24}{'us/request':>12}{'/form':>8}")
    for name, us in costs.items():
        print(f"{name:<24}{us:>12.1f}{us / form:>8.2f}")
    return {
        name: {"us": round(us, 1), "ratio_to_webform": round(us / form, 2)}
        for name, us in costs.items()
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5)
    measure(parser.parse_args().seconds)
