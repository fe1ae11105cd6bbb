"""Named unit conversions a mapping may apply to a number (`unit = "万元->元"`).

Parks report money in 元, 千元, 万元 or 亿元 and ratios in %, ‰ or as fractions; the standard fixes one
unit per indicator, so a configuration names the conversion instead of spelling out a factor that is easy
to get wrong by a power of ten. `multiply = <factor>` remains for anything not listed.
"""

from __future__ import annotations

_TO_YUAN = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8}
_RATIOS = {"ratio": 1.0, "比例": 1.0, "%": 1e-2, "‰": 1e-3}


def _build() -> dict[str, float]:
    table: dict[str, float] = {}
    for units in (_TO_YUAN, _RATIOS):
        for src, a in units.items():
            for dst, b in units.items():
                if src != dst:
                    table[f"{src}->{dst}"] = a / b
    return table


CONVERSIONS: dict[str, float] = _build()


def factor(name: str) -> float | None:
    """The factor for a conversion such as "万元->元" (also written with →, or spaces); None if unknown."""
    key = "".join(name.split()).replace("→", "->").replace("％", "%")
    return CONVERSIONS.get(key)
