"""How the whole machine's cores were spent over a run, from /proc/stat.

On a virtual machine the hypervisor can give this guest's cores to other guests: that time
is *stolen* (/proc/stat's `steal`). Counted as busy, as the benches did before, it reads
as work this machine did; here it was 20-55 % of two cores during bursts on a shared host
(session 15), when `up` itself got 0.5-0.7 of a core. So a run reports both shares: what
the machine's own processes used, and what it was denied, without which a slow run cannot
be told from slow code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice;
# guest time is already inside user and nice, so it is left out of the sum.
_IDLE = (3, 4)
_STEAL = 7
_FIELDS = 8


@dataclass(frozen=True)
class MachineTime:
    """CPU seconds summed over the machine's cores: its own work, stolen, and in all."""

    busy: float
    stolen: float
    total: float

    @classmethod
    def now(cls) -> MachineTime:
        return cls.parse(Path("/proc/stat").read_text())

    @classmethod
    def parse(cls, stat: str) -> MachineTime:
        ticks = [int(v) for v in stat.split("\n", 1)[0].split()[1 : 1 + _FIELDS]]
        idle = sum(ticks[i] for i in _IDLE)
        steal = ticks[_STEAL] if len(ticks) > _STEAL else 0
        hz = os.sysconf("SC_CLK_TCK")
        return cls((sum(ticks) - idle - steal) / hz, steal / hz, sum(ticks) / hz)

    def since(self, before: MachineTime) -> MachineTime:
        return MachineTime(
            self.busy - before.busy, self.stolen - before.stolen, self.total - before.total
        )

    def shares(self) -> dict[str, float]:
        """`machine_busy`: the share of the cores' time the machine's own processes ran;
        `machine_stolen`: the share the hypervisor gave to other guests."""
        total = self.total or 1.0
        return {
            "machine_busy": round(self.busy / total, 2),
            "machine_stolen": round(self.stolen / total, 2),
        }
